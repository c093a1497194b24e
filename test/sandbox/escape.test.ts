// Escape and abuse attempts against the worker sandbox. Each one must end as that invocation's own
// error or limit outcome while a "canary" worker keeps answering right after (afterEach), and this
// process — the server's stand-in — stays untouched.
import { types } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHost } from '../../infrastructure/sandbox/sandboxHost.ts';
import type { InvocationResult } from '../../infrastructure/sandbox/types.ts';
import { run, runBody, testHost, workerId } from '../kit/sandbox.ts';

const ABUSE_LIMITS = { memoryMb: 32, cpuMs: 200, wallMs: 1000 };
const canarySource = runBody(
  'return { echo: input, polluted: ({}).polluted, arrayPolluted: [].polluted, process: typeof process };',
);

let host: SandboxHost;
const objectPrototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
const globalKeys = Object.getOwnPropertyNames(globalThis).sort();

beforeAll(async () => {
  host = testHost();
  await host.start();
});
afterAll(async () => {
  await host.close();
});
afterEach(async () => {
  const canary = await run(host, canarySource, { id: 'canary', input: { n: 42 } });
  expect(canary).toMatchObject({
    outcome: 'ok',
    result: { echo: { n: 42 }, process: 'undefined' },
  });
  expect(canary.result).not.toHaveProperty('polluted');
  expect(canary.result).not.toHaveProperty('arrayPolluted');
  // The host process: no pollution, no new globals.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(objectPrototypeKeys);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(globalThis).sort()).toEqual(globalKeys);
});

/** An abuse attempt, under the small abuse limits unless given others. */
function abuse(body: string, options: Parameters<typeof run>[2] = {}): Promise<InvocationResult> {
  return run(host, runBody(body), { limits: ABUSE_LIMITS, ...options });
}

describe('reaching Node from the guest', () => {
  it('process, require, module, global are not there', async () => {
    const r = await abuse(`
      return [typeof process, typeof require, typeof module, typeof exports, typeof global,
        typeof __dirname, typeof Buffer, typeof globalThis.process, typeof m3m.process];`);
    expect(r.result).toEqual(Array(9).fill('undefined'));
    const exit = await abuse('process.exit(1);');
    expect(exit).toMatchObject({
      outcome: 'error',
      error: { name: 'ReferenceError', message: 'process is not defined' },
    });
    const req = await abuse('return require("child_process").execSync("id").toString();');
    expect(req).toMatchObject({
      outcome: 'error',
      error: { name: 'ReferenceError', message: 'require is not defined' },
    });
  });

  it("import('fs') and import('node:child_process') fail", async () => {
    for (const specifier of ['fs', 'node:child_process', 'data:text/javascript,export default 1']) {
      const r = await abuse(`const m = await import(${JSON.stringify(specifier)}); return typeof m;`);
      expect(r.outcome, specifier).toBe('error');
      expect(r.error?.message, specifier).toBe('Not supported');
    }
  });

  it('a static import is refused before anything runs', async () => {
    let called = false;
    const r = await run(
      host,
      "import { execSync } from 'node:child_process';\nexport default { run() { m3m.t.x(); } };",
      {
        hostApi: {
          't.x': () => {
            called = true;
          },
        },
      },
    );
    expect(r.outcome).toBe('error');
    expect(r.error?.message).toContain('import is not supported');
    expect(called).toBe(false);
  });

  it('the Function constructor through globalThis, this, m3m and callbacks only reaches the guest realm', async () => {
    const r = await abuse(
      `
      const attempts = {
        global: () => globalThis.constructor.constructor('return process')(),
        thisCtor: () => this.constructor.constructor('return process')(),
        hostFn: () => m3m.log.info.constructor('return process')(),
        asyncFn: () => m3m.t.x.constructor('return process')(),
        proto: () => Object.getPrototypeOf(m3m.t.x).constructor('return typeof require')(),
        arrow: () => (() => {}).constructor('return this')().process,
      };
      const out = {};
      for (const [k, f] of Object.entries(attempts)) {
        try { out[k] = String(await f()); } catch (e) { out[k] = e.name + ': ' + e.message; }
      }
      return out;`,
      { hostApi: { 't.x': () => 1 } },
    );
    expect(r.outcome).toBe('ok');
    expect(r.result).toEqual({
      global: 'ReferenceError: process is not defined',
      thisCtor: 'ReferenceError: process is not defined',
      hostFn: 'ReferenceError: process is not defined',
      asyncFn: 'ReferenceError: process is not defined',
      proto: 'undefined', // typeof require inside the guest realm
      arrow: 'undefined',
    });
  });

  it('the runtime callbacks are not reachable: no globals, strict frames, poisoned caller', async () => {
    const r = await abuse(
      `
      const names = Object.getOwnPropertyNames(globalThis);
      const suspicious = names.filter((n) => /ivm|isolate|host|callback|dispatch|bootstrap|deliver|^\\$\\d/i.test(n));
      let caller = 'none';
      const probe = { toJSON() { try { caller = typeof probe.toJSON.caller; } catch (e) { caller = e.name; } return 1; } };
      await m3m.t.x(probe);
      let fnCaller;
      try { fnCaller = typeof m3m.t.x.caller; } catch (e) { fnCaller = e.name; }
      let args;
      try { args = typeof m3m.log.info.arguments; } catch (e) { args = e.name; }
      return { suspicious, caller, fnCaller, args };`,
      { hostApi: { 't.x': () => 1 } },
    );
    expect(r.outcome).toBe('ok');
    expect(r.result).toMatchObject({ suspicious: [] });
    const result = r.result as Record<string, string>;
    // Sloppy guest functions may see a caller, but only a strict (null) one or a TypeError; never a runtime function.
    expect(['TypeError', 'object']).toContain(result.caller);
    expect(['TypeError', 'undefined', 'object']).toContain(result.fnCaller);
    expect(['TypeError', 'undefined', 'object']).toContain(result.args);
  });
});

describe('host objects through errors and stack traces', () => {
  it('an error thrown by a host function arrives as a fresh guest Error with name and message only', async () => {
    const r = await abuse(
      `
      try { await m3m.t.fail(); } catch (e) {
        return {
          sameRealm: Object.getPrototypeOf(e) === Error.prototype,
          keys: Reflect.ownKeys(e).map(String).sort(),
          cause: 'cause' in e, host: e.hostObject === undefined,
          viaCtor: (() => { try { return e.constructor.constructor('return typeof process')(); } catch (x) { return x.name; } })(),
          stack: e.stack,
        };
      }`,
      {
        hostApi: {
          't.fail': () => {
            const err = new TypeError('denied') as TypeError & { hostObject: unknown };
            err.hostObject = { process, require: globalThis.require };
            throw Object.assign(err, { cause: new Error('inner') });
          },
        },
      },
    );
    expect(r.outcome).toBe('ok');
    expect(r.result).toMatchObject({
      sameRealm: true,
      keys: ['message', 'name', 'stack'],
      cause: false,
      host: true,
      viaCtor: 'undefined',
    });
    const stack = (r.result as { stack: string }).stack;
    expect(stack).not.toMatch(/\/work\/|file:|node:|sandboxHost|\.ts/);
  });

  it('Error.prepareStackTrace sees only guest frames, whose functions are not callable into the host', async () => {
    const r = await abuse(
      `
      const seen = [];
      Error.prepareStackTrace = (err, frames) => {
        for (const f of frames) {
          const fn = f.getFunction();
          const self = f.getThis();
          seen.push({
            file: f.getFileName(),
            fn: fn === undefined ? 'hidden' : typeof fn,
            selfIsGlobal: self === globalThis,
            leaks: (() => { try { return fn ? typeof fn.constructor('return typeof process')() : 'none'; } catch (e) { return e.name; } })(),
          });
        }
        return 'prepared';
      };
      const stacks = [];
      const viaLog = { toString() { stacks.push(new Error('in log').stack); return 'x'; } };
      m3m.log.info(viaLog, [viaLog]);
      const inArgs = { toJSON() { stacks.push(new Error('in args').stack); return 1; } };
      await m3m.t.x(inArgs);
      try { await m3m.t.fail(); } catch (e) { stacks.push(e.stack); }
      try { null.x; } catch (e) { stacks.push(e.stack); }
      Error.prepareStackTrace = undefined;
      return { stacks, seen };`,
      {
        hostApi: {
          't.x': () => 1,
          't.fail': () => {
            throw new Error('no');
          },
        },
      },
    );
    expect(r.outcome).toBe('ok');
    const { stacks, seen } = r.result as { stacks: string[]; seen: Record<string, unknown>[] };
    expect(stacks.every((s) => s === 'prepared')).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    for (const frame of seen) {
      expect([null, undefined, 'worker.js', 'm3m-runtime.js']).toContain(frame.file);
      expect(['none', 'undefined']).toContain(frame.leaks);
    }
    // The runtime's own functions are strict: V8 hides them from getFunction().
    expect(seen.filter((f) => f.file === 'm3m-runtime.js').every((f) => f.fn === 'hidden')).toBe(true);
  });
});

describe('values crossing the boundary', () => {
  it('a Proxy passed to a host function arrives as plain data; its traps run in the guest only', async () => {
    const received: unknown[] = [];
    const r = await abuse(
      `
      let trapCalls = 0;
      const target = { a: 1, nested: { b: 2 } };
      const proxy = new Proxy(target, {
        get(t, k, rcv) { trapCalls++; return Reflect.get(t, k, rcv); },
        ownKeys(t) { trapCalls++; return Reflect.ownKeys(t); },
      });
      const back = await m3m.t.x(proxy, [proxy]);
      let fnProxy;
      try { await m3m.t.x(new Proxy(function () {}, {})); } catch (e) { fnProxy = e.name; }
      let refused;
      const hostile = new Proxy({}, { ownKeys() { throw new Error('trap ran'); } });
      try { await m3m.t.x(hostile); } catch (e) { refused = e.message; }
      return { trapCalls, back, refused, fnProxy };`,
      {
        hostApi: {
          't.x': (args) => {
            received.push(args);
            return args[0];
          },
        },
      },
    );
    expect(r.outcome).toBe('ok');
    const result = r.result as { trapCalls: number; back: unknown; refused: string; fnProxy: string };
    expect(result.fnProxy).toBe('TypeError'); // a Proxy of a function is a function: never copied
    expect(result.trapCalls).toBeGreaterThan(0);
    expect(result.back).toEqual({ a: 1, nested: { b: 2 } });
    expect(result.refused).toMatch(/must be JSON-serialisable: trap ran/);
    expect(received).toHaveLength(1); // the hostile one never left the isolate
    const args = received[0] as unknown[];
    expect(args).toEqual([{ a: 1, nested: { b: 2 } }, [{ a: 1, nested: { b: 2 } }]]);
    for (const value of [args, args[0], (args[1] as unknown[])[0]]) expect(types.isProxy(value)).toBe(false);
  });

  it('a function smuggled through toJSON or a getter is refused', async () => {
    let called = 0;
    const r = await abuse(
      `
      const out = [];
      for (const v of [{ toJSON() { return () => 1; } }, { get x() { return Symbol('s'); } }]) {
        try { await m3m.t.x(v); out.push('sent'); } catch (e) { out.push(e.name); }
      }
      return out;`,
      {
        hostApi: {
          't.x': () => {
            called++;
          },
        },
      },
    );
    expect(r.result).toEqual(['TypeError', 'TypeError']);
    expect(called).toBe(0);
  });

  it('__proto__ keys in the input and the result stay plain data on both sides', async () => {
    const input = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}',
    );
    const r = await abuse(
      `
      const inside = { own: Object.keys(input).sort(), polluted: ({}).polluted, protoIsObject: Object.getPrototypeOf(input) === Object.prototype };
      return Object.assign(JSON.parse('{"__proto__": {"polluted": "out"}}'), { inside });`,
      { input },
    );
    expect(r.outcome).toBe('ok');
    const result = r.result as Record<string, unknown>;
    expect(result.inside).toEqual({ own: ['__proto__', 'constructor'], protoIsObject: true });
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('host results with __proto__ keys stay plain data in the guest', async () => {
    const r = await abuse(
      'const v = await m3m.t.x(); return { own: Object.keys(v), polluted: ({}).polluted ?? null };',
      {
        hostApi: { 't.x': () => JSON.parse('{"__proto__": {"polluted": "from host"}}') },
      },
    );
    expect(r.result).toEqual({ own: ['__proto__'], polluted: null });
  });

  it('polluting Object.prototype inside one worker affects neither the host nor other workers', async () => {
    const id = workerId('polluter');
    const r = await abuse(
      `
      Object.prototype.polluted = 'yes';
      Array.prototype.polluted = 'yes';
      JSON.parse = () => ({ hijacked: true });
      JSON.stringify = () => '"hijacked"';
      Object.defineProperty(Object.prototype, 'value', { get() { return 'hijacked'; }, configurable: true });
      const fromHost = await m3m.t.x();
      return { fromHost, mine: ({}).polluted };`,
      { id, hostApi: { 't.x': () => ({ real: true }) } },
    );
    // The runtime captured JSON and friends before the worker ran: the bridge still works.
    expect(r).toMatchObject({ outcome: 'ok', result: { fromHost: { real: true }, mine: 'yes' } });
    // Within the same warm isolate the pollution persists (module state is kept, documented)…
    const again = await run(host, runBody('return ({}).polluted;'), { id, limits: ABUSE_LIMITS });
    expect(again.result).toBeUndefined(); // different source → its own isolate
    // …and the canary in afterEach proves other workers and the host are clean.
  });
});

describe('limits', () => {
  it('an infinite loop ends as timeout (wall limit below the CPU limit)', async () => {
    const r = await abuse('m3m.log.info("looping"); while (true) {}', {
      limits: { memoryMb: 32, cpuMs: 5000, wallMs: 300 },
    });
    expect(r).toMatchObject({ outcome: 'timeout', error: { name: 'TimeoutError' } });
    expect(r.logs.map((l) => l.message)).toEqual(['looping']);
    expect(r.durationMs).toBeGreaterThanOrEqual(290);
    expect(r.durationMs).toBeLessThan(2000);
  });

  it('an infinite loop ends as cpu_limit (CPU limit below the wall limit)', async () => {
    const r = await abuse('while (true) {}', { limits: { memoryMb: 32, cpuMs: 150, wallMs: 5000 } });
    expect(r).toMatchObject({ outcome: 'cpu_limit', error: { name: 'CpuLimitError' } });
    expect(r.cpuMs).toBeGreaterThanOrEqual(150);
    expect(r.durationMs).toBeLessThan(2000);
  });

  it('the isolate is disposed after a breach: the next call is a cold start with fresh state', async () => {
    const id = workerId('breach');
    const source =
      'let n = 0;\nexport default { async run(loop) { n++; if (loop) while (true) {} return n; } };';
    expect((await run(host, source, { id, input: false })).result).toBe(1);
    expect((await run(host, source, { id, input: true, limits: ABUSE_LIMITS })).outcome).toMatch(
      /timeout|cpu_limit/,
    );
    const after = await run(host, source, { id, input: false });
    expect(after).toMatchObject({ outcome: 'ok', result: 1, coldStart: true });
  });

  it('an endless microtask loop ends as a limit', async () => {
    const r = await abuse('while (true) { await null; }');
    expect(['timeout', 'cpu_limit']).toContain(r.outcome);
  });

  it('an endless promise chain started after a host call ends as a limit', async () => {
    const r = await abuse(
      `await m3m.t.x();
      const spin = () => Promise.resolve().then(spin);
      spin();
      await new Promise((resolve) => { globalThis.keep = resolve; });`,
      { hostApi: { 't.x': () => 1 } },
    );
    // Each link of the chain resolves to the next one, so the chain also grows the heap: on a busy machine the
    // memory limit can be the one that trips first. Any of the three is the sandbox holding.
    expect(['timeout', 'cpu_limit', 'memory_limit']).toContain(r.outcome);
  });

  it('a handler whose promise nothing can settle any more is an error (isolated-vm: "Promise was abandoned")', async () => {
    // Nothing references the pending promise: once V8 collects it, isolated-vm rejects the invocation.
    const r = await abuse(
      'await m3m.t.x(); const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {});',
      {
        hostApi: { 't.x': () => 1 },
      },
    );
    expect(['error', 'timeout', 'cpu_limit']).toContain(r.outcome);
    if (r.outcome === 'error') expect(r.error?.message).toMatch(/can never settle/);
  });

  it('a handler that never settles ends as timeout, using no CPU', async () => {
    const r = await abuse('await new Promise((resolve) => { globalThis.keep = resolve; });', {
      limits: { memoryMb: 32, cpuMs: 200, wallMs: 300 },
    });
    expect(r.outcome).toBe('timeout');
    expect(r.cpuMs).toBeLessThan(100);
  });

  it('a host call that never answers ends as timeout', async () => {
    const r = await abuse('await m3m.t.hang();', {
      limits: { memoryMb: 32, cpuMs: 200, wallMs: 300 },
      hostApi: { 't.hang': () => new Promise(() => {}) },
    });
    expect(r.outcome).toBe('timeout');
  });

  it('Atomics.wait on a SharedArrayBuffer cannot block past the wall limit', async () => {
    const r = await abuse(
      'const a = new Int32Array(new SharedArrayBuffer(4)); return Atomics.wait(a, 0, 0);',
      {
        limits: { memoryMb: 32, cpuMs: 5000, wallMs: 300 },
      },
    );
    expect(r.outcome).toBe('timeout');
  });

  it('a top-level infinite loop ends as a limit too', async () => {
    const r = await run(host, 'while (true) {}\nexport default {};', { limits: ABUSE_LIMITS });
    expect(['timeout', 'cpu_limit']).toContain(r.outcome);
  });

  it('a memory bomb ends as memory_limit, and the next call works', async () => {
    // A generous CPU budget, so that on a loaded machine the heap limit, not the CPU limit, is what ends it.
    const r = await abuse(
      'const hoard = []; while (true) hoard.push(new Array(100000).fill(Math.random()));',
      { limits: { memoryMb: 32, cpuMs: 5000, wallMs: 8000 } },
    );
    expect(r).toMatchObject({ outcome: 'memory_limit', error: { name: 'MemoryLimitError' } });
    const next = await abuse('return "fine";');
    expect(next).toMatchObject({ outcome: 'ok', result: 'fine' });
  });

  it('a memory bomb that V8 cannot contain kills only the runtime process, which is restarted', async () => {
    // Growing a dictionary-mode object makes V8 itself fail ("Catastrophic out-of-memory"): isolated-vm
    // calls onCatastrophicError and the runtime process ends itself.
    const pid = host.status().pid;
    const r = await abuse('const o = {}; for (let i = 0; ; i++) o["k" + i] = i;', {
      limits: { memoryMb: 32, cpuMs: 5000, wallMs: 5000 },
    });
    expect(['memory_limit', 'crashed']).toContain(r.outcome);
    const next = await abuse('return "fine";');
    expect(next).toMatchObject({ outcome: 'ok', result: 'fine' });
    if (host.status().pid !== pid) {
      expect(host.status().restarts).toBeGreaterThan(0);
      expect(r.outcome).toBe('memory_limit'); // attributed through the runtime's 'fatal' report
    }
  });

  it('a huge ArrayBuffer or string is refused inside the isolate', async () => {
    const buffers = await abuse(
      'const all = []; for (let i = 0; i < 100; i++) all.push(new ArrayBuffer(50e6)); return all.length;',
    );
    expect(buffers.outcome).toMatch(/error|memory_limit/);
    const strings = await abuse('let s = "xx"; for (let i = 0; i < 40; i++) s += s; return s.length;');
    expect(strings.outcome).toMatch(/error|memory_limit/);
  });

  it('deep recursion is a RangeError', async () => {
    const r = await abuse('const down = (n) => down(n + 1) + 1; return down(0);');
    expect(r).toMatchObject({
      outcome: 'error',
      error: { name: 'RangeError', message: 'Maximum call stack size exceeded' },
    });
  });

  it('a flood of log lines is capped', async () => {
    const r = await abuse('for (let i = 0; i < 100000; i++) console.log("flood", i); return "done";', {
      limits: { memoryMb: 32, cpuMs: 5000, wallMs: 5000 },
    });
    expect(r.outcome).toBe('ok');
    expect(r.logs).toHaveLength(201);
    expect(r.logs[200]?.message).toMatch(/^… 99800 more log lines dropped/);
  });

  it('a huge return value is refused as too large', async () => {
    const r = await abuse('return "x".repeat(2 * 1024 * 1024);', {
      limits: { memoryMb: 64, cpuMs: 1000, wallMs: 2000 },
    });
    expect(r).toMatchObject({ outcome: 'error', error: { name: 'RangeError' } });
    expect(r.error?.message).toMatch(/^result too large/);
    expect(r).not.toHaveProperty('result');
    const multibyte = await abuse('return "é".repeat(600 * 1024);', {
      limits: { memoryMb: 64, cpuMs: 1000, wallMs: 2000 },
    });
    expect(multibyte.error?.message).toMatch(/result too large/); // 600 Ki characters, 1.2 MB of UTF-8
  });

  it('too many or too large host calls are refused', async () => {
    const r = await abuse(
      `
      const out = {};
      try { await m3m.t.x('y'.repeat(1100000)); } catch (e) { out.large = e.message; }
      let n = 0;
      try { for (;;) { await m3m.t.x(n); n++; } } catch (e) { out.many = e.message; out.n = n; }
      return out;`,
      { limits: { memoryMb: 64, cpuMs: 5000, wallMs: 5000 }, hostApi: { 't.x': () => 1 } },
    );
    expect(r.result).toEqual({
      large: expect.stringMatching(/too large/),
      many: 'too many m3m calls in one invocation (limit 1000)',
      n: 1000,
    });
  });
});

describe('the runtime process', () => {
  it('killed with SIGKILL during an invocation: that invocation is crashed, the next one works', async () => {
    const pid = host.status().pid;
    expect(pid).toBeGreaterThan(0);
    let started: () => void = () => {};
    const inside = new Promise<void>((resolve) => {
      started = resolve;
    });
    const pending = abuse('await m3m.t.started(); await new Promise(() => {});', {
      limits: { memoryMb: 32, cpuMs: 1000, wallMs: 10_000 },
      hostApi: {
        't.started': () => {
          started();
        },
      },
    });
    await inside;
    process.kill(pid!, 'SIGKILL');
    const r = await pending;
    expect(r).toMatchObject({ outcome: 'crashed', error: { name: 'SandboxCrashed' } });
    expect(r.error?.message).toContain('SIGKILL');
    const next = await abuse('return "back";');
    expect(next).toMatchObject({ outcome: 'ok', result: 'back', coldStart: true });
    const status = host.status();
    expect(status.pid).not.toBe(pid);
    expect(status.restarts).toBeGreaterThan(0);
    expect(status.lastExit).toMatchObject({ signal: 'SIGKILL' });
  });

  it('does not inherit the server environment', async () => {
    process.env.M3M_SANDBOX_TEST_SECRET = 'do-not-leak';
    const fresh = testHost();
    try {
      await fresh.start();
      const { readFile } = await import('node:fs/promises');
      const environ = await readFile(`/proc/${fresh.status().pid}/environ`, 'utf8').catch(() => null);
      if (environ !== null) expect(environ).not.toContain('do-not-leak');
    } finally {
      delete process.env.M3M_SANDBOX_TEST_SECRET;
      await fresh.close();
    }
  });
});
