// Entry point of the runtime process that holds the worker isolates. SandboxHost starts it with
// `--no-node-snapshot` (required by isolated-vm on Node 20+) and an IPC channel using `serialization:
// 'advanced'`; argv[2] is the RuntimeConfig as JSON. A hard V8 failure in here takes down only this
// process: SandboxHost reports the in-flight invocations and starts a new one.
import { checkSource } from './compileCheck.ts';
import { IsolatePool } from './isolatePool.ts';
import type { RuntimeConfig } from './limits.ts';
import type { HostToRuntime, RuntimeToHost } from './protocol.ts';

if (!process.send) {
  process.stderr.write('m3m runtime process: start it through SandboxHost (it needs an IPC channel)\n');
  process.exit(2);
}

const config = JSON.parse(process.argv[2] ?? '{}') as RuntimeConfig;
let dying = false;

function send(message: RuntimeToHost): void {
  if (dying && message.type !== 'fatal') return;
  try {
    process.send?.(message);
  } catch {
    // the server went away; 'disconnect' ends this process
  }
}

/**
 * isolated-vm's advice for `onCatastrophicError`: the isolate is beyond recovery and the process must
 * end. Such a failure can also leave the isolate's thread hanging, so this process kills itself with
 * SIGKILL (no exit handlers that could wait on that thread) once the report is written.
 */
function die(message: string, invocationIds: string[]): void {
  if (dying) return;
  dying = true;
  process.stderr.write(`m3m runtime process: catastrophic isolate error: ${message}\n`);
  const kill = () => process.kill(process.pid, 'SIGKILL');
  setTimeout(kill, 500).unref();
  try {
    process.send?.({ type: 'fatal', message, invocationIds } satisfies RuntimeToHost, kill);
  } catch {
    kill();
  }
}

const pool = new IsolatePool(config, {
  hostCall: (invocationId, callId, method, argsJson) => {
    send({ type: 'hostCall', invocationId, callId, method, argsJson });
  },
  fatal: die,
});

process.on('message', (message: HostToRuntime) => {
  switch (message.type) {
    case 'invoke': {
      const { type: _, ...job } = message;
      pool.invoke(job).then(
        (result) => send({ type: 'result', invocationId: message.invocationId, result }),
        (err: unknown) =>
          send({
            type: 'result',
            invocationId: message.invocationId,
            result: {
              invocationId: message.invocationId,
              outcome: 'error',
              logs: [],
              durationMs: 0,
              cpuMs: 0,
              coldStart: false,
              error: { name: 'SandboxError', message: err instanceof Error ? err.message : String(err) },
            },
          }),
      );
      return;
    }
    case 'hostReply':
      pool.deliver(message.invocationId, message.callId, message.replyJson);
      return;
    case 'compile':
      checkSource(message.source, message.language, config.maxSourceBytes, (m) => die(m, [])).then(
        (result) => send({ type: 'compiled', requestId: message.requestId, result }),
        (err: unknown) =>
          send({
            type: 'compiled',
            requestId: message.requestId,
            result: { ok: false, error: { message: String(err), line: 1, column: 1 } },
          }),
      );
      return;
    case 'dispose':
      send({
        type: 'disposed',
        requestId: message.requestId,
        count: pool.dispose(message.workerId, message.version),
      });
      return;
    case 'isolates':
      pool.list().then(
        (isolates) => send({ type: 'isolateList', requestId: message.requestId, isolates }),
        () => send({ type: 'isolateList', requestId: message.requestId, isolates: [] }),
      );
      return;
    case 'ping':
      send({ type: 'pong', requestId: message.requestId });
      return;
  }
});

// The server is gone (or closed the channel): nothing left to serve.
process.on('disconnect', () => process.exit(0));

send({ type: 'ready', pid: process.pid });
