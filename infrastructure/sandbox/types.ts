// Public types of the worker sandbox. The sandbox runs worker sources (ES modules that
// `export default { fetch, onEvent, run, scheduled }`) in isolated-vm isolates inside a separate runtime
// process; see docs/adr/0006-sandbox.md.

/** The handlers a worker may export on its default export object. */
export const HANDLER_NAMES = ['fetch', 'onEvent', 'run', 'scheduled'] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

export type WorkerLanguage = 'javascript' | 'typescript';

/** One deployed version of a worker. `source` must not change for a given `{ id, version }`. */
export interface WorkerCode {
  id: string;
  version: number;
  source: string;
  /** TypeScript is run with its types stripped (lines and columns kept). Default JavaScript. */
  language?: WorkerLanguage;
}

export interface Limits {
  /** V8 heap limit of the worker's isolate (isolated-vm `memoryLimit`; a guideline, see the ADR). Min 8. */
  memoryMb: number;
  /** CPU time the isolate may spend on one invocation (including a cold start). */
  cpuMs: number;
  /** Wall-clock time one invocation may take, host API calls included. */
  wallMs: number;
}

/** Arguments are the JSON-decoded arguments the guest passed; the result must be JSON-serialisable. */
export type HostFunction = (args: unknown[], context: HostCallContext) => unknown;

/**
 * Functions exposed to the guest on the global `m3m`, by dotted path: `'goals.increment'` becomes
 * `m3m.goals.increment(...args)`. `models.<op>` paths are exposed as `m3m.models.collection(name).<op>(...)`
 * and receive `[name, ...args]`. Only declared paths exist in the guest. `log` is reserved.
 */
export type HostApi = Readonly<Record<string, HostFunction>>;

export interface HostCallContext {
  invocationId: string;
  workerId: string;
  version: number;
  /** The dotted path that was called, e.g. `goals.increment`. */
  method: string;
}

export interface InvocationRequest {
  worker: WorkerCode;
  handler: HandlerName;
  /** Copied into the guest as JSON. `undefined` arrives as `undefined`. */
  input?: unknown;
  limits?: Partial<Limits>;
  hostApi?: HostApi;
  /** Defaults to a random UUID; echoed in the result and in every host call's context. */
  invocationId?: string;
  /** The worker's project: its isolates count against `maxIsolatesPerProject`. Absent: no project share. */
  projectId?: string;
  /**
   * How many of this worker's invocations may run at once in the runtime process, each in an isolate of its own
   * (up to that many warm isolates per version, each with these limits; globals are not shared between them).
   * Default 1: one after another, in the order they came, on one warm isolate.
   */
  concurrency?: number;
}

export type Outcome = 'ok' | 'error' | 'timeout' | 'cpu_limit' | 'memory_limit' | 'crashed';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  level: LogLevel;
  message: string;
  /** ISO 8601 timestamp taken when the line was written. */
  at: string;
}

export interface InvocationError {
  name: string;
  message: string;
  /** The guest's stack, frames pointing at `worker.js:LINE:COL`; runtime-internal frames removed. */
  stack?: string;
}

export interface InvocationResult {
  invocationId: string;
  outcome: Outcome;
  /** The handler's JSON result (outcome `ok` only; absent when the handler returned `undefined`). */
  result?: unknown;
  logs: LogLine[];
  /** Wall time of the invocation inside the runtime process (for `crashed`: as seen by the host). */
  durationMs: number;
  /** CPU time the isolate spent on this invocation. */
  cpuMs: number;
  /** True when this invocation had to build the isolate (new isolate, compile, module evaluation). */
  coldStart: boolean;
  /**
   * When the runtime process began running it (ms since the epoch); absent when it never ran there (a crash, a
   * refusal). Later than the call when it waited for its turn (the worker's previous invocation at concurrency 1,
   * one of its isolates at more).
   */
  startedAt?: number;
  error?: InvocationError;
}

export type CompileResult =
  | { ok: true }
  | {
      ok: false;
      /** 1-based line and column in the worker source. */
      error: { message: string; line: number; column: number };
    };

/** One warm isolate of the runtime process (a worker version at concurrency N may have up to N). */
export interface IsolateInfo {
  workerId: string;
  projectId?: string;
  version: number;
  memoryMb: number;
  invocations: number;
  busy: boolean;
  /** V8 used heap in bytes at the last completed invocation. */
  heapUsedBytes: number;
  lastUsedAt: string;
}

export type SandboxState = 'idle' | 'starting' | 'ready' | 'restarting' | 'closed';

export interface SandboxStatus {
  state: SandboxState;
  /** Process id of the current runtime process, if one runs. */
  pid: number | null;
  /** How many times the runtime process has been restarted after dying. */
  restarts: number;
  inFlight: number;
  lastExit: { code: number | null; signal: string | null; at: string; reason: string } | null;
}

/** pino-compatible subset, so the composition root can pass its logger. */
export interface SandboxLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SandboxHostOptions {
  /** Limits for invocations that do not override them. Default 128 MB, 1000 ms CPU, 5000 ms wall. */
  defaultLimits?: Partial<Limits>;
  /** Warm isolates kept in the runtime process (LRU). Default 50. */
  maxIsolates?: number;
  /**
   * Isolates one project (`InvocationRequest.projectId`) may hold in the runtime process, busy or warm. Default 10.
   * A project at its limit replaces its own least recently used idle isolate, or waits for one of its own.
   */
  maxIsolatesPerProject?: number;
  /** Sum of the isolates' `memoryMb` the pool keeps warm before evicting idle ones (LRU). Default 4096. */
  maxPoolMemoryMb?: number;
  /** Largest JSON result, in UTF-8 bytes. Default 1 MiB. */
  maxResultBytes?: number;
  /** Largest JSON of one host call's arguments or result. Default 1 MiB. */
  maxHostCallBytes?: number;
  /** Host API calls allowed per invocation. Default 1000. */
  maxHostCalls?: number;
  /**
   * Host API calls of one invocation being answered at once. Default 8. Further calls wait inside the
   * isolate (their arguments count against its memory limit) until one of those returns: a fan-out of
   * `Promise.all` over hundreds of calls costs the server at most this many results at a time.
   */
  maxHostCallsInFlight?: number;
  /** Log lines kept per invocation. Default 200. */
  maxLogLines?: number;
  /** Log bytes (UTF-8, messages) kept per invocation. Default 64 KiB. */
  maxLogBytes?: number;
  /** Largest worker source, in UTF-8 bytes. Default 1 MiB. */
  maxSourceBytes?: number;
  /** Restart delay after the runtime process dies: doubles from `initialMs` up to `maxMs`. Default 100 / 5000. */
  restartBackoff?: { initialMs: number; maxMs: number };
  /** Ping interval; a runtime process that misses two answers is killed and restarted. Default 5000. */
  heartbeatMs?: number;
  logger?: SandboxLogger;
  /**
   * Called when an isolate's catastrophic V8 error took the runtime process down, with the projects whose
   * invocations caused it (`InvocationRequest.projectId`); before the invocations lost with it are run again.
   */
  onCatastrophe?: (crash: { projectIds: string[]; message: string }) => void;
}
