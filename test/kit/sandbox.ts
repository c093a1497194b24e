import { SandboxHost } from '../../infrastructure/sandbox/sandboxHost.ts';
import type {
  HandlerName,
  HostApi,
  InvocationResult,
  Limits,
  SandboxHostOptions,
} from '../../infrastructure/sandbox/types.ts';

/** A SandboxHost with a real runtime process; restarts fast so crash tests stay short. */
export function testHost(options: SandboxHostOptions = {}): SandboxHost {
  return new SandboxHost({ restartBackoff: { initialMs: 20, maxMs: 200 }, ...options });
}

let counter = 0;
/** A fresh worker id per call, so tests never share a warm isolate by accident. */
export function workerId(name: string): string {
  counter++;
  return `${name}-${counter}`;
}

export interface RunOptions {
  id?: string;
  version?: number;
  handler?: HandlerName;
  input?: unknown;
  limits?: Partial<Limits>;
  hostApi?: HostApi;
}

/** Invokes `source` (a whole module) once. */
export function run(host: SandboxHost, source: string, options: RunOptions = {}): Promise<InvocationResult> {
  return host.invoke({
    worker: { id: options.id ?? workerId('w'), version: options.version ?? 1, source },
    handler: options.handler ?? 'run',
    input: options.input,
    limits: options.limits,
    hostApi: options.hostApi,
  });
}

/** A module whose `run` handler has `body` (may use `input`, `await`). */
export function runBody(body: string): string {
  return `export default {\n  async run(input) {\n${body}\n  },\n};\n`;
}

/** Messages of the logs, for compact assertions. */
export function messages(result: InvocationResult): string[] {
  return result.logs.map((l) => `${l.level}: ${l.message}`);
}
