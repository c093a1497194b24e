/**
 * The port the worker use cases run code through. `infrastructure/sandbox/SandboxHost` implements it (the
 * isolated-vm runtime process, docs/adr/0006-sandbox.md); the types mirror its public ones so that the
 * application does not import infrastructure.
 */

export type HandlerName = 'fetch' | 'onEvent' | 'run' | 'scheduled';

export interface SandboxLimits {
  memoryMb: number;
  cpuMs: number;
  wallMs: number;
}

export interface HostCallContext {
  invocationId: string;
  workerId: string;
  version: number;
  /** The dotted path that was called, e.g. `goals.increment`. */
  method: string;
}

/** Receives the guest's JSON-decoded arguments; returns a JSON-serialisable value. A throw reaches the guest. */
export type HostFunction = (args: unknown[], context: HostCallContext) => unknown;

/** By dotted path under `m3m`; `models.<op>` are exposed as `m3m.models.collection(name).<op>(...)`. */
export type HostApi = Readonly<Record<string, HostFunction>>;

export type InvocationOutcome = 'ok' | 'error' | 'timeout' | 'cpu_limit' | 'memory_limit' | 'crashed';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  level: LogLevel;
  message: string;
  at: string;
}

export interface InvocationErrorInfo {
  name: string;
  message: string;
  stack?: string;
}

export type SourceLanguage = 'javascript' | 'typescript';

export interface SandboxInvocation {
  /** TypeScript runs with its types stripped; lines and columns stay those of the source as written. */
  worker: { id: string; version: number; source: string; language?: SourceLanguage };
  handler: HandlerName;
  input?: unknown;
  limits?: Partial<SandboxLimits>;
  hostApi?: HostApi;
  invocationId?: string;
  /** The worker's project: its isolates count against the project's share of the pool. */
  projectId?: string;
  /** The worker's invocations that may run at once, each in an isolate of its own. Default 1: one at a time, in order. */
  concurrency?: number;
}

export interface SandboxResult {
  invocationId: string;
  outcome: InvocationOutcome;
  result?: unknown;
  logs: LogLine[];
  durationMs: number;
  cpuMs: number;
  coldStart: boolean;
  /** When the sandbox began running it (ms since the epoch), when it did. */
  startedAt?: number;
  error?: InvocationErrorInfo;
}

export type CompileOutcome =
  | { ok: true }
  | { ok: false; error: { message: string; line: number; column: number } };

export interface WorkerSandbox {
  /** Never rejects because of the worker: failures end as the result's outcome. */
  invoke(request: SandboxInvocation): Promise<SandboxResult>;
  compileWorker(source: string, language?: SourceLanguage): Promise<CompileOutcome>;
  /** Drops warm isolates of a worker (all versions when `version` is absent). */
  dispose(workerId: string, version?: number): Promise<number>;
}
