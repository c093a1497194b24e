// One warm isolate for one worker version, inside the runtime process: the bootstrap, the compiled and
// evaluated module, and the enforcement of one invocation's limits. IsolatePool gives one WorkerIsolate one
// invocation at a time (a worker's parallel invocations run in isolates of their own); this class assumes so.
import ivm from 'isolated-vm';
import { BOOTSTRAP_FILENAME, GUEST_BOOTSTRAP } from './guestBootstrap.ts';
import type { RuntimeConfig } from './limits.ts';
import { LogCollector } from './logCollector.ts';
import type { WireResult } from './protocol.ts';
import type { HandlerName, InvocationError, Limits, Outcome, WorkerCode, WorkerLanguage } from './types.ts';
import { toJavaScript } from './typescript.ts';

export const WORKER_FILENAME = 'worker.js';
const MAX_MESSAGE_CHARS = 8 * 1024;
/** setTimeout calls one invocation may make. */
const MAX_TIMERS = 1000;
const TIMED_OUT = 'Script execution timed out.';
const ABANDONED = 'Promise was abandoned';

export interface InvokeJob {
  invocationId: string;
  /** The worker's project: its isolates count against the project's share of the pool. */
  projectId?: string;
  worker: WorkerCode;
  handler: HandlerName;
  inputJson: string | undefined;
  limits: Limits;
  /** Declared host API paths, sorted. */
  methods: string[];
  /** Invocations of the worker that may run at once, each in its own isolate. Default 1: one after another. */
  concurrency?: number;
}

export interface WorkerIsolateHooks {
  /** Forwards a guest's host call to the server; the reply comes back through `deliver`. */
  hostCall(invocationId: string, callId: number, method: string, argsJson: string): void;
  /** The isolate hit a catastrophic V8 error: the runtime process must die now. */
  fatal(message: string, invocationIds: string[]): void;
}

interface Running {
  job: InvokeJob;
  epoch: number;
  methods: ReadonlySet<string>;
  logs: LogCollector;
  hostCalls: number;
  /** Host calls sent to the server and not yet answered. */
  inFlight: number;
  deadline: number;
  /** The guest's pending setTimeout wake-ups: cleared when the invocation ends. */
  timers: Set<NodeJS.Timeout>;
  trip(outcome: Outcome, error: InvocationError): void;
}

type Envelope = (
  | { ok: true; json?: string }
  | { ok: false; name: string; message: string; stack: string }
) & {
  /** Log lines the guest dropped after the log was full. */
  dropped?: number;
};
type Fail = { outcome: Outcome; error: InvocationError };
type WorkResult = { envelope: Envelope } | { fail: Fail };
type Fn = (...args: unknown[]) => unknown;

export class WorkerIsolate {
  readonly workerId: string;
  readonly projectId: string | undefined;
  readonly version: number;
  readonly memoryMb: number;
  readonly #source: string;
  readonly #language: WorkerLanguage;
  readonly #methods: string[];
  readonly #config: RuntimeConfig;
  readonly #hooks: WorkerIsolateHooks;
  readonly #isolate: ivm.Isolate;
  #built = false;
  #disposed = false;
  #invokeRef: ivm.Reference<Fn> | null = null;
  #deliverRef: ivm.Reference<Fn> | null = null;
  #fireRef: ivm.Reference<Fn> | null = null;
  #running: Running | null = null;
  #epoch = 0;
  #lastCpu = 0n;
  invocations = 0;
  lastUsedAt = new Date();

  constructor(job: InvokeJob, config: RuntimeConfig, hooks: WorkerIsolateHooks) {
    this.workerId = job.worker.id;
    this.projectId = job.projectId;
    this.version = job.worker.version;
    this.memoryMb = job.limits.memoryMb;
    this.#source = job.worker.source;
    this.#language = job.worker.language ?? 'javascript';
    this.#methods = job.methods;
    this.#config = config;
    this.#hooks = hooks;
    this.#isolate = new ivm.Isolate({
      memoryLimit: job.limits.memoryMb,
      onCatastrophicError: (message) => {
        this.#hooks.fatal(message, this.#running ? [this.#running.job.invocationId] : []);
      },
    });
  }

  get disposed(): boolean {
    return this.#disposed || this.#isolate.isDisposed;
  }

  get busy(): boolean {
    return this.#running !== null;
  }

  /** Whether this isolate can serve `job` (same source, memory limit and host API shape). */
  matches(job: InvokeJob): boolean {
    return (
      !this.disposed &&
      this.#source === job.worker.source &&
      this.#language === (job.worker.language ?? 'javascript') &&
      this.memoryMb === job.limits.memoryMb &&
      this.#methods.join(',') === job.methods.join(',')
    );
  }

  async execute(job: InvokeJob): Promise<WireResult> {
    const started = performance.now();
    const coldStart = !this.#built;
    const startCpu = this.#cpu();
    const logs = new LogCollector(this.#config.maxLogLines, this.#config.maxLogBytes);
    let breach: Fail | null = null;
    let onBreach: () => void = () => {};
    const breached = new Promise<void>((resolve) => {
      onBreach = resolve;
    });
    const run: Running = {
      job,
      epoch: ++this.#epoch,
      methods: new Set(job.methods),
      logs,
      hostCalls: 0,
      inFlight: 0,
      deadline: started + job.limits.wallMs,
      timers: new Set(),
      trip: (outcome, error) => {
        if (breach) return;
        breach = { outcome, error };
        this.dispose();
        onBreach();
      },
    };
    this.#running = run;
    this.invocations++;
    this.lastUsedAt = new Date();

    const wallTimer = setTimeout(() => run.trip('timeout', timeoutError(job.limits)), job.limits.wallMs);
    const budgetNs = BigInt(Math.round(job.limits.cpuMs * 1e6));
    const pollMs = Math.min(50, Math.max(5, Math.floor(job.limits.cpuMs / 10)));
    const cpuTimer = setInterval(() => {
      if (this.#cpu() - startCpu > budgetNs) run.trip('cpu_limit', cpuError(job.limits));
    }, pollMs);

    let work: WorkResult | null = null;
    try {
      await Promise.race([
        this.#work(run, coldStart).then(
          (result) => {
            work = result;
          },
          (err: unknown) => {
            const failure = classify(err, job.limits);
            run.trip(failure.outcome, failure.error);
          },
        ),
        breached,
      ]);
    } finally {
      clearTimeout(wallTimer);
      clearInterval(cpuTimer);
      for (const timer of run.timers) clearTimeout(timer);
      this.#running = null;
    }
    const cpuMs = Number(this.#cpu() - startCpu) / 1e6;
    const base = {
      invocationId: job.invocationId,
      coldStart,
      cpuMs: round(cpuMs),
      startedAt: Math.floor(performance.timeOrigin + started),
    };
    const finish = (): Omit<WireResult, 'invocationId' | 'coldStart' | 'cpuMs' | 'outcome'> => ({
      logs: logs.finish(),
      durationMs: round(performance.now() - started),
    });
    const failure = breach as Fail | null;
    if (failure) return { ...base, outcome: failure.outcome, ...finish(), error: failure.error };
    const done = work as WorkResult | null;
    if (!done) throw new Error('invocation finished without a result'); // unreachable: race settles one way
    if ('fail' in done) {
      this.dispose(); // a module that failed to build is never reused
      return { ...base, outcome: done.fail.outcome, ...finish(), error: done.fail.error };
    }
    const envelope = done.envelope;
    logs.addDropped(envelope.dropped);
    if (envelope.ok) {
      const result: WireResult = { ...base, outcome: 'ok', ...finish() };
      if (envelope.json !== undefined) {
        if (Buffer.byteLength(envelope.json) > this.#config.maxResultBytes) {
          return { ...result, outcome: 'error', error: tooLarge(this.#config.maxResultBytes) };
        }
        result.resultJson = envelope.json;
      }
      return result;
    }
    const error: InvocationError = { name: String(envelope.name), message: String(envelope.message) };
    const stack = cleanStack(String(envelope.stack));
    if (stack) error.stack = stack;
    return { ...base, outcome: 'error', ...finish(), error };
  }

  /** A host call's reply from the server; dropped when the invocation that asked has ended. */
  deliver(invocationId: string, callId: number, replyJson: string): void {
    const run = this.#running;
    if (!run || run.job.invocationId !== invocationId) return;
    run.inFlight--;
    this.#deliver(run, callId, replyJson);
  }

  dispose(): void {
    this.#disposed = true;
    this.#invokeRef = null;
    this.#deliverRef = null;
    this.#fireRef = null;
    if (!this.#isolate.isDisposed) {
      this.#cpu();
      try {
        this.#isolate.dispose();
      } catch {
        // already gone
      }
    }
  }

  async heapUsedBytes(): Promise<number> {
    if (this.disposed) return 0;
    try {
      return (await this.#isolate.getHeapStatistics()).used_heap_size;
    } catch {
      return 0;
    }
  }

  async #work(run: Running, coldStart: boolean): Promise<WorkResult> {
    if (coldStart) {
      const fail = await this.#build(run);
      if (fail) return { fail };
    }
    const invoke = this.#invokeRef;
    if (!invoke) throw new Error('Isolate was disposed during execution');
    const envelope = (await invoke.apply(undefined, [run.epoch, run.job.handler, run.job.inputJson], {
      timeout: remaining(run),
      result: { promise: true, copy: true },
    })) as Envelope;
    return { envelope };
  }

  async #build(run: Running): Promise<Fail | null> {
    const isolate = this.#isolate;
    const context = await isolate.createContext();
    const hostCall = new ivm.Callback(
      (epoch: unknown, callId: unknown, method: unknown, argsJson: unknown) => {
        this.#onHostCall(epoch, callId, method, argsJson);
      },
      { ignored: true },
    );
    const hostLog = new ivm.Callback(
      (level: unknown, message: unknown) => this.#running?.logs.add(level, message) ?? false,
    );
    const hostTimer = new ivm.Callback(
      (epoch: unknown, timerId: unknown, delayMs: unknown) => this.#onTimer(epoch, timerId, delayMs),
      { ignored: true },
    );
    const configJson = JSON.stringify({
      methods: this.#methods,
      maxResultBytes: this.#config.maxResultBytes,
      maxHostCallBytes: this.#config.maxHostCallBytes,
      maxHostCallsInFlight: this.#config.maxHostCallsInFlight,
      maxMessageChars: MAX_MESSAGE_CHARS,
      maxTimers: MAX_TIMERS,
    });
    const dispatcher = (await context.evalClosure(
      `return ${GUEST_BOOTSTRAP}($0, $1, $2, $3);`,
      [hostCall, hostLog, hostTimer, configJson],
      { filename: BOOTSTRAP_FILENAME, timeout: remaining(run), result: { reference: true } },
    )) as ivm.Reference<Record<string, Fn>>;

    const code = toJavaScript(this.#source, this.#language);
    if (!code.ok) {
      const { message, line, column } = code.error;
      return {
        outcome: 'error',
        error: {
          name: 'SyntaxError',
          message,
          stack: `SyntaxError: ${message}\n    at ${WORKER_FILENAME}:${line}:${column}`,
        },
      };
    }
    let module: ivm.Module;
    try {
      module = await isolate.compileModule(code.code, { filename: WORKER_FILENAME });
    } catch (err) {
      const failure = classify(err, run.job.limits);
      if (failure.outcome !== 'error') throw err;
      const syntax = parseSyntaxError(err);
      return {
        outcome: 'error',
        error: {
          name: 'SyntaxError',
          message: syntax.message,
          stack: `SyntaxError: ${syntax.message}\n    at ${WORKER_FILENAME}:${syntax.line}:${syntax.column}`,
        },
      };
    }
    const specifier = module.dependencySpecifiers[0];
    if (specifier !== undefined) {
      const at = importLocation(code.code, specifier);
      return {
        outcome: 'error',
        error: {
          name: 'SyntaxError',
          message: importRefusal(specifier),
          stack: `SyntaxError: ${importRefusal(specifier)}\n    at ${WORKER_FILENAME}:${at.line}:${at.column}`,
        },
      };
    }
    await module.instantiate(context, (spec) => {
      throw new Error(importRefusal(spec));
    });
    try {
      await module.evaluate({ timeout: remaining(run) });
    } catch (err) {
      const failure = classify(err, run.job.limits);
      if (failure.outcome !== 'error') throw err;
      return failure;
    }
    const bind = (await dispatcher.get('bind', { reference: true })) as ivm.Reference<Fn>;
    const problem = await bind.apply(undefined, [module.namespace.derefInto()], {
      timeout: remaining(run),
      result: { copy: true },
    });
    if (problem !== '') {
      return { outcome: 'error', error: { name: 'TypeError', message: String(problem) } };
    }
    this.#invokeRef = (await dispatcher.get('invoke', { reference: true })) as ivm.Reference<Fn>;
    this.#deliverRef = (await dispatcher.get('deliver', { reference: true })) as ivm.Reference<Fn>;
    this.#fireRef = (await dispatcher.get('fire', { reference: true })) as ivm.Reference<Fn>;
    this.#built = true;
    return null;
  }

  #onHostCall(epoch: unknown, callId: unknown, method: unknown, argsJson: unknown): void {
    const run = this.#running;
    if (!run || epoch !== run.epoch || typeof callId !== 'number') return;
    if (typeof method !== 'string' || typeof argsJson !== 'string') return;
    let refusal = '';
    if (!run.methods.has(method)) refusal = `m3m.${method} is not available`;
    else if (++run.hostCalls > this.#config.maxHostCalls) {
      refusal = `too many m3m calls in one invocation (limit ${this.#config.maxHostCalls})`;
    } else if (Buffer.byteLength(argsJson) > this.#config.maxHostCallBytes) {
      refusal = `the arguments of m3m.${method} are too large (limit ${this.#config.maxHostCallBytes} bytes)`;
    } else if (run.inFlight >= this.#config.maxHostCallsInFlight) {
      // The bootstrap queues calls beyond the limit in the guest; this only holds if it was bypassed.
      refusal = `too many m3m calls in flight (limit ${this.#config.maxHostCallsInFlight}); await some first`;
    }
    if (refusal) {
      this.#deliver(run, callId, JSON.stringify({ ok: false, error: { name: 'Error', message: refusal } }));
      return;
    }
    run.inFlight++;
    this.#hooks.hostCall(run.job.invocationId, callId, method, argsJson);
  }

  /** A guest's setTimeout: wakes it after the delay, within the invocation's wall time; dropped when it ends. */
  #onTimer(epoch: unknown, timerId: unknown, delayMs: unknown): void {
    const run = this.#running;
    if (!run || epoch !== run.epoch || typeof timerId !== 'number' || typeof delayMs !== 'number') return;
    // Later than the invocation's end is never: the wall-time limit ends it first.
    const delay = Math.min(Math.max(0, delayMs), remaining(run));
    const timer = setTimeout(() => {
      run.timers.delete(timer);
      const fire = this.#fireRef;
      if (!fire || this.#running !== run) return;
      fire.apply(undefined, [epoch, timerId], { timeout: remaining(run) }).catch((err: unknown) => {
        if (this.#running !== run) return;
        const failure = classify(err, run.job.limits);
        run.trip(failure.outcome, failure.error);
      });
    }, delay);
    run.timers.add(timer);
  }

  #deliver(run: Running, callId: number, replyJson: string): void {
    const deliver = this.#deliverRef;
    if (!deliver || this.#running !== run) return;
    // Resuming the guest runs its continuations: they are under the same wall-time limit.
    deliver.apply(undefined, [callId, replyJson], { timeout: remaining(run) }).catch((err: unknown) => {
      if (this.#running !== run) return;
      const failure = classify(err, run.job.limits);
      run.trip(failure.outcome, failure.error);
    });
  }

  #cpu(): bigint {
    try {
      if (!this.#isolate.isDisposed) this.#lastCpu = this.#isolate.cpuTime;
    } catch {
      // disposed meanwhile: keep the last reading
    }
    return this.#lastCpu;
  }
}

function remaining(run: Running): number {
  return Math.max(1, Math.ceil(run.deadline - performance.now()));
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function timeoutError(limits: Limits): InvocationError {
  return {
    name: 'TimeoutError',
    message: `the worker ran longer than its wall-time limit (${limits.wallMs} ms)`,
  };
}

function cpuError(limits: Limits): InvocationError {
  return {
    name: 'CpuLimitError',
    message: `the worker used more than its CPU-time limit (${limits.cpuMs} ms)`,
  };
}

function tooLarge(max: number): InvocationError {
  return { name: 'RangeError', message: `result too large (limit ${max} bytes of JSON)` };
}

function importRefusal(specifier: string): string {
  return `import is not supported in workers ('${specifier}'): use the m3m runtime API instead`;
}

/** Sorts an error from isolated-vm into a limit breach or a guest error (with its stack cleaned). */
export function classify(err: unknown, limits: Limits): Fail {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.message === TIMED_OUT) return { outcome: 'timeout', error: timeoutError(limits) };
  if (/memory limit/i.test(e.message)) {
    return {
      outcome: 'memory_limit',
      error: {
        name: 'MemoryLimitError',
        message: `the worker exceeded its memory limit (${limits.memoryMb} MB)`,
      },
    };
  }
  if (e.message === ABANDONED) {
    // isolated-vm's promise holder was garbage-collected: the handler's promise can never settle.
    return {
      outcome: 'error',
      error: {
        name: 'Error',
        message: 'the handler returned a promise that can never settle (nothing can resolve it any more)',
      },
    };
  }
  if (/^Isolate (was|is) disposed/.test(e.message)) {
    return {
      outcome: 'error',
      error: { name: 'SandboxError', message: 'the isolate was disposed during execution' },
    };
  }
  const error: InvocationError = { name: e.name, message: e.message };
  const stack = typeof e.stack === 'string' ? cleanStack(e.stack) : '';
  if (stack) error.stack = stack;
  return { outcome: 'error', error };
}

/** Keeps the message lines and the frames in the worker's source; drops runtime and host frames. */
export function cleanStack(stack: string): string {
  const kept: string[] = [];
  for (const line of stack.split('\n')) {
    if (/^\s+at /.test(line)) {
      if (line.includes(`${WORKER_FILENAME}:`)) kept.push(line);
    } else {
      kept.push(line);
    }
  }
  const text = kept.join('\n');
  return text.length > 16_000 ? text.slice(0, 16_000) : text;
}

/** isolated-vm reports compile errors as "Message [worker.js:LINE:COLUMN]". */
export function parseSyntaxError(err: unknown): { message: string; line: number; column: number } {
  const message = err instanceof Error ? err.message : String(err);
  const match = /^(.*) \[[^\]]*:(\d+):(\d+)\]$/s.exec(message);
  if (!match) return { message, line: 1, column: 1 };
  return { message: match[1]!, line: Number(match[2]), column: Number(match[3]) };
}

/** Where a static import of `specifier` sits in the source (1-based), for the refusal message. */
export function importLocation(source: string, specifier: string): { line: number; column: number } {
  const quoted = [`'${specifier}'`, `"${specifier}"`];
  const re = /\b(import|export)\b/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const rest = source.slice(m.index, m.index + 2000);
    const semi = rest.search(/;|\n\s*\n/);
    const statement = semi === -1 ? rest : rest.slice(0, semi + 1);
    if (quoted.some((q) => statement.includes(q))) return position(source, m.index);
  }
  return { line: 1, column: 1 };
}

function position(source: string, index: number): { line: number; column: number } {
  const before = source.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}
