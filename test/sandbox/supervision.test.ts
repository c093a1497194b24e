// SandboxHost's supervision of the runtime process: close, hangs, lost requests, restarts, event loop.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SandboxUnavailableError } from '../../infrastructure/sandbox/sandboxHost.ts';
import { run, runBody, testHost, workerId } from '../kit/sandbox.ts';

const waitForever = runBody(
  'await m3m.t.started(); await new Promise((resolve) => { globalThis.keep = resolve; });',
);

function startedSignal(): { hostApi: { 't.started': () => void }; started: Promise<void> } {
  let signal: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    signal = resolve;
  });
  return { hostApi: { 't.started': () => signal() }, started };
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('SandboxHost supervision', () => {
  it('close() ends invocations in flight as crashed, then refuses new calls', async () => {
    const host = testHost();
    const { hostApi, started } = startedSignal();
    const pending = run(host, waitForever, { hostApi, limits: { wallMs: 10_000 } });
    await started;
    await host.close();
    const r = await pending;
    expect(r).toMatchObject({ outcome: 'crashed', error: { name: 'SandboxCrashed' } });
    expect(r.error?.message).toContain('was closed');
    expect(host.status()).toMatchObject({ state: 'closed', pid: null, inFlight: 0 });
    await expect(run(host, runBody('return 1;'))).rejects.toThrow(SandboxUnavailableError);
    await expect(host.compileWorker('export default {}')).rejects.toThrow(SandboxUnavailableError);
    await host.close(); // idempotent
  });

  it('kills a runtime process that stops answering (heartbeat) and serves again', async () => {
    const host = testHost({ heartbeatMs: 100 });
    try {
      const { hostApi, started } = startedSignal();
      const pending = run(host, waitForever, { hostApi, limits: { wallMs: 20_000 } });
      await started;
      const pid = host.status().pid!;
      const compiling = host.compileWorker('export default {}');
      process.kill(pid, 'SIGSTOP'); // alive but frozen: no exit event, no answers
      const r = await pending;
      expect(r).toMatchObject({ outcome: 'crashed' });
      expect(r.error?.message).toContain('stopped answering');
      await expect(compiling).rejects.toThrow(SandboxUnavailableError);
      expect((await run(host, runBody('return "alive";'))).result).toBe('alive');
      expect(host.status().pid).not.toBe(pid);
      expect(host.status().lastExit?.reason).toBe('stopped answering and was killed');
    } finally {
      await host.close();
    }
  });

  it('comes back after repeated kills', async () => {
    const host = testHost();
    try {
      for (let i = 0; i < 3; i++) {
        await host.start();
        const pid = host.status().pid!;
        process.kill(pid, 'SIGKILL');
        // Until the exit event arrives the host cannot know: a call sent in that instant ends as crashed.
        await waitFor(() => host.status().pid !== pid);
        const r = await run(host, runBody('return input;'), { input: i });
        expect(r).toMatchObject({ outcome: 'ok', result: i });
      }
      expect(host.status().restarts).toBe(3);
    } finally {
      await host.close();
    }
  });

  it('dispose() during an invocation lets it finish, then the next one is cold', async () => {
    const host = testHost();
    try {
      const id = workerId('disposed');
      const source = 'let n = 0;\nexport default { async run() { n++; await m3m.t.gate(); return n; } };';
      let open: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      let entered: () => void = () => {};
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const hostApi = {
        't.gate': async () => {
          entered();
          await gate;
        },
      };
      expect((await run(host, source, { id, hostApi: { 't.gate': () => {} } })).result).toBe(1);
      const running = run(host, source, { id, hostApi });
      await inside;
      expect(await host.dispose(id)).toBe(1);
      open();
      expect(await running).toMatchObject({ outcome: 'ok', result: 2 });
      expect(await run(host, source, { id, hostApi })).toMatchObject({
        outcome: 'ok',
        result: 1,
        coldStart: true,
      });
    } finally {
      await host.close();
    }
  });

  it('does not keep a process alive once nothing waits on it (no close() needed to exit)', async () => {
    const entry = join(import.meta.dirname, '../../infrastructure/sandbox/sandboxHost.ts');
    const script = `
      import { SandboxHost } from ${JSON.stringify(entry)};
      const host = new SandboxHost();
      const r = await host.invoke({ worker: { id: 'w', version: 1, source: 'export default { run: (x) => x * 2 }' }, handler: 'run', input: 21 });
      console.log(r.outcome, r.result);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('the process did not exit'));
      }, 15_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(0);
    expect(out.trim()).toBe('ok 42');
  });
});
