// The server's handle on the worker sandbox. It supervises the runtime process (runtimeProcess.ts) that
// holds the isolates: starts it, forwards invocations (the guests' host API calls are answered by
// hostCalls.ts), and when it dies (a V8 hard out-of-memory, a kill, an unresponsive process) reports the
// invocations it held as `crashed` and starts a new one with backoff. See docs/adr/0006-sandbox.md.
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { answerHostCall, methodPaths, strictJson } from './hostCalls.ts';
import { type RuntimeConfig, resolveLimits, runtimeConfig } from './limits.ts';
import type { HostToRuntime, RuntimeToHost, WireResult } from './protocol.ts';
import {
  type CompileResult,
  HANDLER_NAMES,
  type HandlerName,
  type HostApi,
  type InvocationRequest,
  type InvocationResult,
  type IsolateInfo,
  type Limits,
  type SandboxHostOptions,
  type SandboxLogger,
  type SandboxState,
  type SandboxStatus,
  type WorkerLanguage,
} from './types.ts';

const RUNTIME_ENTRY = fileURLToPath(new URL('./runtimeProcess.ts', import.meta.url));
const RUNTIME_EXEC_ARGV = ['--no-node-snapshot', '--disable-warning=ExperimentalWarning'];
/** Starts in a row that die before the runtime process says "ready" before callers are told it is down. */
const MAX_FAILED_STARTS = 3;
/** A runtime process that lived this long restarts after the initial delay again. */
const STABLE_AFTER_MS = 30_000;
const OUTPUT_TAIL_CHARS = 4000;

/** The runtime process is closed, or cannot be started. */
export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
}

interface PendingInvocation {
  child: ChildProcess;
  started: number;
  projectId: string | undefined;
  workerId: string;
  version: number;
  hostApi: HostApi;
  resolve(result: InvocationResult): void;
}

interface PendingRequest {
  child: ChildProcess;
  resolve(message: RuntimeToHost): void;
  reject(err: Error): void;
}

type Request =
  | { type: 'compile'; source: string; language: WorkerLanguage }
  | { type: 'dispose'; workerId: string; version: number | null }
  | { type: 'isolates' };

export class SandboxHost {
  readonly #config: RuntimeConfig;
  readonly #defaults: Partial<Limits>;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #heartbeatMs: number;
  readonly #logger: SandboxLogger | undefined;
  readonly #onCatastrophe: SandboxHostOptions['onCatastrophe'];
  #state: SandboxState = 'idle';
  #child: ChildProcess | null = null;
  #ready = false;
  #waiters: { resolve(child: ChildProcess): void; reject(err: Error): void }[] = [];
  readonly #invocations = new Map<string, PendingInvocation>();
  readonly #requests = new Map<number, PendingRequest>();
  #nextRequestId = 1;
  #restarts = 0;
  #failedStarts = 0;
  #delayMs: number;
  #spawnedAt = 0;
  #lastExit: SandboxStatus['lastExit'] = null;
  #fatal: { message: string; invocationIds: Set<string> } | null = null;
  /** Invocations that ended `crashed` because another invocation's isolate brought the process down. */
  readonly #bystanders = new Set<string>();
  #unresponsive = false;
  #restartTimer: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #awaitingPong = false;
  #missedPongs = 0;
  #outputTail = '';
  #closing: Promise<void> | null = null;

  constructor(options: SandboxHostOptions = {}) {
    this.#config = runtimeConfig(options);
    this.#defaults = { ...options.defaultLimits };
    resolveLimits(this.#defaults, undefined); // refuse bad defaults now, not at the first invocation
    this.#backoff = options.restartBackoff ?? { initialMs: 100, maxMs: 5000 };
    if (!(this.#backoff.initialMs >= 0 && this.#backoff.maxMs >= this.#backoff.initialMs)) {
      throw new TypeError('restartBackoff needs 0 <= initialMs <= maxMs');
    }
    this.#delayMs = this.#backoff.initialMs;
    this.#heartbeatMs = options.heartbeatMs ?? 5000;
    this.#logger = options.logger;
    this.#onCatastrophe = options.onCatastrophe;
  }

  /** Starts the runtime process now rather than at the first call. */
  async start(): Promise<void> {
    await this.#whenReady();
  }

  /**
   * Runs one handler of one worker version. Never rejects because of the worker or the runtime process:
   * those end as the result's `outcome`. Rejects (TypeError) for a malformed request, and
   * (SandboxUnavailableError) after `close()`.
   */
  async invoke(request: InvocationRequest): Promise<InvocationResult> {
    const first = await this.#invokeOnce(request);
    if (first.outcome !== 'crashed' || !this.#bystanders.delete(first.invocationId)) return first;
    // Lost to a crash another invocation caused (issue 12, item 4): run it again, once. Like an event delivered
    // twice, what it did through `m3m` before the crash may happen again.
    const crash = first.error?.message ?? 'the runtime process crashed';
    this.#logger?.warn(
      { invocationId: first.invocationId, workerId: request.worker.id },
      'invocation lost to a crash another invocation caused: running it again once',
    );
    const again = await this.#invokeOnce({ ...request, invocationId: first.invocationId });
    this.#bystanders.delete(first.invocationId); // a second crash is final
    const note = {
      level: 'warn' as const,
      message: `run again: the first attempt was lost to a crash another worker's invocation caused (${crash})`,
      at: new Date().toISOString(),
    };
    return { ...again, logs: [note, ...again.logs], durationMs: again.durationMs + first.durationMs };
  }

  async #invokeOnce(request: InvocationRequest): Promise<InvocationResult> {
    if (this.#state === 'closed') throw new SandboxUnavailableError('the sandbox is closed');
    const { worker, handler } = request;
    checkWorker(worker);
    if (!HANDLER_NAMES.includes(handler as HandlerName)) {
      throw new TypeError(`handler must be one of ${HANDLER_NAMES.join(', ')}, got ${String(handler)}`);
    }
    const limits = resolveLimits(this.#defaults, request.limits);
    const hostApi = request.hostApi ?? {};
    const methods = methodPaths(hostApi);
    let inputJson: string | undefined;
    try {
      inputJson = request.input === undefined ? undefined : strictJson(request.input);
    } catch (err) {
      throw new TypeError(`invocation input must be JSON-serialisable: ${(err as Error).message}`);
    }
    const concurrency = request.concurrency ?? 1;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1)
      throw new TypeError(`concurrency must be a positive integer, got ${String(concurrency)}`);
    const invocationId = request.invocationId ?? randomUUID();
    if (typeof invocationId !== 'string' || invocationId === '')
      throw new TypeError('invocationId must be a string');
    if (this.#invocations.has(invocationId))
      throw new TypeError(`invocation ${invocationId} is already running`);
    const started = performance.now();
    const sourceBytes = Buffer.byteLength(worker.source);
    if (sourceBytes > this.#config.maxSourceBytes) {
      return failed(invocationId, started, 'error', {
        name: 'SourceTooLarge',
        message: `the worker source is too large (${sourceBytes} bytes, limit ${this.#config.maxSourceBytes})`,
      });
    }

    let child: ChildProcess;
    try {
      child = await this.#whenReady();
    } catch (err) {
      if ((this.#state as SandboxState) === 'closed') throw err;
      return failed(invocationId, started, 'crashed', {
        name: 'SandboxUnavailable',
        message: (err as Error).message,
      });
    }
    return new Promise<InvocationResult>((resolve) => {
      this.#invocations.set(invocationId, {
        child,
        started,
        projectId: request.projectId,
        workerId: worker.id,
        version: worker.version,
        hostApi,
        resolve,
      });
      this.#updateRef();
      this.#post(child, {
        type: 'invoke',
        invocationId,
        ...(request.projectId === undefined ? {} : { projectId: request.projectId }),
        worker: {
          id: worker.id,
          version: worker.version,
          source: worker.source,
          ...(worker.language === undefined ? {} : { language: worker.language }),
        },
        handler,
        inputJson,
        limits,
        methods,
        ...(concurrency === 1 ? {} : { concurrency }),
      });
    });
  }

  /**
   * Parses a worker source as an ES module without running it (TypeScript stripped of its types first): a syntax
   * error or an import is refused, with its line and column in the source as written.
   */
  async compileWorker(source: string, language: WorkerLanguage = 'javascript'): Promise<CompileResult> {
    if (typeof source !== 'string') throw new TypeError('source must be a string');
    const reply = await this.#request({ type: 'compile', source, language });
    if (reply.type !== 'compiled') throw new Error(`unexpected reply ${reply.type}`);
    return reply.result;
  }

  /**
   * Drops the warm isolates of a worker (one version, or all of them): after a redeploy, a delete or a
   * settings change. An invocation running on one finishes first. Resolves to how many were dropped.
   */
  async dispose(workerId: string, version?: number): Promise<number> {
    if (!this.#ready || !this.#child) return 0; // a runtime process that is not running holds nothing warm
    const reply = await this.#request({ type: 'dispose', workerId, version: version ?? null });
    return reply.type === 'disposed' ? reply.count : 0;
  }

  /** The warm isolates of the current runtime process. */
  async isolates(): Promise<IsolateInfo[]> {
    if (!this.#ready || !this.#child) return [];
    const reply = await this.#request({ type: 'isolates' });
    return reply.type === 'isolateList' ? reply.isolates : [];
  }

  status(): SandboxStatus {
    return {
      state: this.#state,
      pid: this.#child?.pid ?? null,
      restarts: this.#restarts,
      inFlight: this.#invocations.size,
      lastExit: this.#lastExit,
    };
  }

  /** Stops the runtime process; invocations still running end as `crashed`. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#state = 'closed';
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    this.#stopHeartbeat();
    for (const waiter of this.#waiters.splice(0))
      waiter.reject(new SandboxUnavailableError('the sandbox is closed'));
    const child = this.#child;
    this.#closing = new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        this.#child = null;
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.ref();
      const force = setTimeout(() => child.kill('SIGKILL'), 2000);
      force.unref();
      child.once('exit', () => clearTimeout(force));
      if (child.connected) child.disconnect();
      else child.kill('SIGKILL');
    });
    return this.#closing;
  }

  #whenReady(): Promise<ChildProcess> {
    if (this.#state === 'closed') return Promise.reject(new SandboxUnavailableError('the sandbox is closed'));
    if (this.#child && this.#ready) return Promise.resolve(this.#child);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (!this.#child && !this.#restartTimer) this.#spawn();
      this.#updateRef();
    });
  }

  #spawn(): void {
    this.#state = this.#restarts === 0 && this.#failedStarts === 0 ? 'starting' : 'restarting';
    const child = fork(RUNTIME_ENTRY, [JSON.stringify(this.#config)], {
      execPath: process.execPath,
      execArgv: RUNTIME_EXEC_ARGV,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: runtimeEnv(),
    });
    this.#child = child;
    this.#ready = false;
    this.#fatal = null;
    this.#unresponsive = false;
    this.#spawnedAt = Date.now();
    this.#outputTail = '';
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => this.#output(child, chunk));
      (stream as unknown as { unref?: () => void }).unref?.();
    }
    child.on('message', (message: RuntimeToHost) => this.#onMessage(child, message));
    child.on('exit', (code, signal) => this.#onExit(child, code, signal));
    child.on('error', (err) => {
      this.#logger?.error({ err }, 'sandbox runtime process error');
      if (child.pid === undefined) this.#onExit(child, null, null); // it never started: no 'exit' will come
    });
    this.#updateRef();
  }

  #onMessage(child: ChildProcess, message: RuntimeToHost): void {
    if (child !== this.#child) return;
    switch (message.type) {
      case 'ready': {
        this.#ready = true;
        this.#state = 'ready';
        this.#failedStarts = 0;
        this.#startHeartbeat(child);
        for (const waiter of this.#waiters.splice(0)) waiter.resolve(child);
        this.#updateRef();
        return;
      }
      case 'result': {
        const pending = this.#invocations.get(message.invocationId);
        if (!pending || pending.child !== child) return;
        this.#invocations.delete(message.invocationId);
        this.#updateRef();
        pending.resolve(fromWire(message.result));
        return;
      }
      case 'hostCall':
        void this.#hostCall(child, message);
        return;
      case 'pong':
        this.#awaitingPong = false;
        this.#missedPongs = 0;
        return;
      case 'fatal':
        this.#fatal = { message: message.message, invocationIds: new Set(message.invocationIds) };
        return;
      case 'compiled':
      case 'disposed':
      case 'isolateList': {
        const pending = this.#requests.get(message.requestId);
        if (!pending) return;
        this.#requests.delete(message.requestId);
        this.#updateRef();
        pending.resolve(message);
        return;
      }
    }
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.#child) return;
    const wasReady = this.#ready;
    this.#child = null;
    this.#ready = false;
    this.#stopHeartbeat();
    const fatal = this.#fatal;
    const closed = this.#state === 'closed';
    const reason = closed
      ? 'was closed'
      : fatal
        ? `ended after a catastrophic isolate error (${fatal.message})`
        : this.#unresponsive
          ? 'stopped answering and was killed'
          : signal
            ? `was killed (${signal})`
            : `exited with code ${String(code)}`;
    this.#lastExit = { code, signal, at: new Date().toISOString(), reason };

    // The projects whose invocation's isolate reported the catastrophic error: the culprits.
    const culprits = new Set<string>();
    for (const [id, pending] of this.#invocations) {
      if (pending.child === child && fatal?.invocationIds.has(id) && pending.projectId !== undefined)
        culprits.add(pending.projectId);
    }
    for (const [id, pending] of this.#invocations) {
      if (pending.child !== child) continue;
      this.#invocations.delete(id);
      if (fatal?.invocationIds.has(id) && /memory/i.test(fatal.message)) {
        pending.resolve(
          failed(id, pending.started, 'memory_limit', {
            name: 'MemoryLimitError',
            message: `the worker exhausted its isolate's memory (${fatal.message}); the runtime process was restarted`,
          }),
        );
      } else {
        // A catastrophic error that another invocation's isolate reported: this one did nothing wrong, unless it
        // belongs to the same project (that project's other invocations are not run again where they did harm).
        if (
          fatal &&
          !fatal.invocationIds.has(id) &&
          fatal.invocationIds.size > 0 &&
          (pending.projectId === undefined || !culprits.has(pending.projectId))
        )
          this.#bystanders.add(id);
        pending.resolve(
          failed(id, pending.started, 'crashed', {
            name: 'SandboxCrashed',
            message: `the runtime process ${reason} during this invocation${closed ? '' : '; it is being restarted'}`,
          }),
        );
      }
    }
    if (fatal && culprits.size > 0 && !closed) {
      try {
        this.#onCatastrophe?.({ projectIds: [...culprits], message: fatal.message });
      } catch (err) {
        this.#logger?.error({ err }, 'sandbox: onCatastrophe failed');
      }
    }
    for (const [id, pending] of this.#requests) {
      if (pending.child !== child) continue;
      this.#requests.delete(id);
      pending.reject(new SandboxUnavailableError(`the runtime process ${reason}`));
    }
    if (closed) {
      this.#updateRef();
      return;
    }

    this.#logger?.error(
      { code, signal, reason, output: this.#outputTail.slice(-1000) },
      'sandbox runtime process died; restarting it',
    );
    if (!wasReady) this.#failedStarts++;
    if (this.#failedStarts >= MAX_FAILED_STARTS) {
      const err = new SandboxUnavailableError(
        `the runtime process failed to start ${this.#failedStarts} times in a row: ${this.#outputTail.slice(-500) || reason}`,
      );
      for (const waiter of this.#waiters.splice(0)) waiter.reject(err);
      this.#failedStarts = 0;
      this.#state = 'idle'; // the next call tries again
      this.#updateRef();
      return;
    }
    this.#restarts++;
    this.#state = 'restarting';
    // #delayMs is the delay before the next restart: it doubles while the runtime keeps dying young.
    const delay = Date.now() - this.#spawnedAt > STABLE_AFTER_MS ? this.#backoff.initialMs : this.#delayMs;
    this.#delayMs = Math.min(this.#backoff.maxMs, delay * 2);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#state !== 'closed' && !this.#child) this.#spawn();
    }, delay);
    this.#updateRef();
  }

  async #hostCall(child: ChildProcess, call: Extract<RuntimeToHost, { type: 'hostCall' }>): Promise<void> {
    const pending = this.#invocations.get(call.invocationId);
    if (!pending || pending.child !== child) return;
    const replyJson = await answerHostCall(
      pending.hostApi,
      call,
      { workerId: pending.workerId, version: pending.version },
      { maxBytes: this.#config.maxHostCallBytes, logger: this.#logger },
    );
    if (this.#invocations.get(call.invocationId) !== pending || this.#child !== child) return;
    this.#post(child, { type: 'hostReply', invocationId: call.invocationId, callId: call.callId, replyJson });
  }

  async #request(body: Request): Promise<RuntimeToHost> {
    const child = await this.#whenReady();
    const requestId = this.#nextRequestId++;
    return new Promise((resolve, reject) => {
      this.#requests.set(requestId, { child, resolve, reject });
      this.#updateRef();
      this.#post(child, { ...body, requestId } as HostToRuntime);
    });
  }

  #post(child: ChildProcess, message: HostToRuntime): void {
    try {
      child.send(message);
    } catch (err) {
      // The channel closed under us: the 'exit' handler settles whatever was waiting on this process.
      this.#logger?.warn({ err }, 'sandbox: could not reach the runtime process');
    }
  }

  #startHeartbeat(child: ChildProcess): void {
    this.#stopHeartbeat();
    this.#awaitingPong = false;
    this.#missedPongs = 0;
    this.#heartbeat = setInterval(() => {
      if (this.#child !== child) return;
      if (this.#awaitingPong && ++this.#missedPongs >= 2) {
        this.#logger?.error({ pid: child.pid }, 'sandbox runtime process is unresponsive; killing it');
        this.#unresponsive = true;
        child.kill('SIGKILL');
        return;
      }
      this.#awaitingPong = true;
      this.#post(child, { type: 'ping', requestId: 0 });
    }, this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  #output(child: ChildProcess, chunk: string): void {
    this.#outputTail = (this.#outputTail + chunk).slice(-OUTPUT_TAIL_CHARS);
    const text = chunk.trimEnd();
    if (text) this.#logger?.warn({ pid: child.pid }, `sandbox runtime: ${text.slice(0, 2000)}`);
  }

  /** Keeps the server's event loop alive only while something waits on the runtime process. */
  #updateRef(): void {
    const busy = this.#invocations.size + this.#requests.size + this.#waiters.length > 0;
    const child = this.#child;
    if (child) {
      if (busy) {
        child.ref();
        child.channel?.ref();
      } else {
        child.unref();
        child.channel?.unref();
      }
    }
    if (this.#restartTimer) {
      if (busy) this.#restartTimer.ref();
      else this.#restartTimer.unref();
    }
  }
}

function checkWorker(worker: InvocationRequest['worker']): void {
  if (!worker || typeof worker !== 'object') throw new TypeError('worker must be { id, version, source }');
  if (typeof worker.id !== 'string' || worker.id === '')
    throw new TypeError('worker.id must be a non-empty string');
  if (!Number.isSafeInteger(worker.version) || worker.version < 0) {
    throw new TypeError('worker.version must be a non-negative integer');
  }
  if (typeof worker.source !== 'string') throw new TypeError('worker.source must be a string');
  if (worker.language !== undefined && worker.language !== 'javascript' && worker.language !== 'typescript') {
    throw new TypeError('worker.language must be "javascript" or "typescript"');
  }
}

function fromWire(wire: WireResult): InvocationResult {
  const result = wire.resultJson === undefined ? {} : { result: JSON.parse(wire.resultJson) as unknown };
  return {
    invocationId: wire.invocationId,
    outcome: wire.outcome,
    ...result,
    logs: wire.logs,
    durationMs: wire.durationMs,
    cpuMs: wire.cpuMs,
    coldStart: wire.coldStart,
    ...(wire.startedAt === undefined ? {} : { startedAt: wire.startedAt }),
    ...(wire.error ? { error: wire.error } : {}),
  };
}

function failed(
  invocationId: string,
  started: number,
  outcome: InvocationResult['outcome'],
  error: { name: string; message: string },
): InvocationResult {
  return {
    invocationId,
    outcome,
    logs: [],
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    cpuMs: 0,
    coldStart: false,
    error,
  };
}

/**
 * The runtime process gets a minimal environment: it never needs the server's secrets (JWT key, database
 * URLs…), and NODE_OPTIONS from a test runner or a shell must not load anything into it.
 */
function runtimeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'TZ', 'LANG', 'LC_ALL']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  return env;
}
