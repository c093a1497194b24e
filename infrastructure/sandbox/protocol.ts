// Messages between SandboxHost (server) and the runtime process, over Node's IPC channel with
// `serialization: 'advanced'`. Everything that comes from a guest travels as JSON text or plain strings.
import type {
  CompileResult,
  HandlerName,
  InvocationResult,
  IsolateInfo,
  Limits,
  WorkerCode,
  WorkerLanguage,
} from './types.ts';

export type HostToRuntime =
  | {
      type: 'invoke';
      invocationId: string;
      projectId?: string;
      worker: WorkerCode;
      handler: HandlerName;
      /** `undefined` when the input is `undefined`. */
      inputJson: string | undefined;
      limits: Limits;
      /** Declared host API paths (sorted). */
      methods: string[];
      /** The worker's invocations that may run at once, each in its own isolate; absent: 1. */
      concurrency?: number;
    }
  | { type: 'hostReply'; invocationId: string; callId: number; replyJson: string }
  | { type: 'compile'; requestId: number; source: string; language: WorkerLanguage }
  | { type: 'dispose'; requestId: number; workerId: string; version: number | null }
  | { type: 'isolates'; requestId: number }
  | { type: 'ping'; requestId: number };

/** The result of an invocation as it crosses IPC: the JSON result stays text until the host parses it. */
export type WireResult = Omit<InvocationResult, 'result'> & { resultJson?: string };

export type RuntimeToHost =
  | { type: 'ready'; pid: number }
  | { type: 'result'; invocationId: string; result: WireResult }
  | { type: 'hostCall'; invocationId: string; callId: number; method: string; argsJson: string }
  | { type: 'compiled'; requestId: number; result: CompileResult }
  | { type: 'disposed'; requestId: number; count: number }
  | { type: 'isolateList'; requestId: number; isolates: IsolateInfo[] }
  | { type: 'pong'; requestId: number }
  /** Sent just before the runtime process kills itself after an isolate's catastrophic error. */
  | { type: 'fatal'; message: string; invocationIds: string[] };

/** What a host call's reply looks like in JSON (built by the host, parsed by the guest bootstrap). */
export type HostReply =
  | { ok: true; value?: unknown }
  | { ok: false; error: { name: string; message: string } };
