// The worker sandbox, through SandboxHost with a real runtime process and real isolated-vm isolates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHost } from '../../infrastructure/sandbox/sandboxHost.ts';
import type { HostCallContext } from '../../infrastructure/sandbox/types.ts';
import { messages, run, runBody, testHost, workerId } from '../kit/sandbox.ts';

let host: SandboxHost;
beforeAll(async () => {
  host = testHost();
  await host.start();
});
afterAll(async () => {
  await host.close();
});

describe('handlers, input and result', () => {
  const allHandlers = `
export default {
  async fetch(request) { return { status: 200, body: 'hello ' + request.path }; },
  async onEvent(event) { return { seen: event.type }; },
  async run(input) { return { doubled: input.n * 2 }; },
  async scheduled(tick) { return { at: tick.at }; },
};`;

  it('calls each handler kind with its input and returns its JSON result', async () => {
    const id = workerId('handlers');
    const fetch = await run(host, allHandlers, { id, handler: 'fetch', input: { path: '/x' } });
    const onEvent = await run(host, allHandlers, {
      id,
      handler: 'onEvent',
      input: { type: 'GoalIncremented' },
    });
    const manual = await run(host, allHandlers, { id, handler: 'run', input: { n: 21 } });
    const scheduled = await run(host, allHandlers, {
      id,
      handler: 'scheduled',
      input: { at: '2026-01-01T00:00:00Z' },
    });
    expect(fetch).toMatchObject({ outcome: 'ok', result: { status: 200, body: 'hello /x' } });
    expect(onEvent).toMatchObject({ outcome: 'ok', result: { seen: 'GoalIncremented' } });
    expect(manual).toMatchObject({ outcome: 'ok', result: { doubled: 42 } });
    expect(scheduled).toMatchObject({ outcome: 'ok', result: { at: '2026-01-01T00:00:00Z' } });
    for (const r of [fetch, onEvent, manual, scheduled]) {
      expect(r.durationMs).toBeGreaterThan(0);
      expect(r.cpuMs).toBeGreaterThan(0);
      expect(r.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('copies nested JSON in and out; undefined stays undefined', async () => {
    const input = { a: [1, 'two', { three: 3 }], b: null, c: true, d: 'ünïcødé ✓', e: 1.5e-7 };
    const echo = await run(host, runBody('return input;'), { input });
    expect(echo).toMatchObject({ outcome: 'ok', result: input });
    const none = await run(host, runBody('return typeof input;'));
    expect(none.result).toBe('undefined');
    const nothing = await run(host, runBody('return undefined;'), { input: 1 });
    expect(nothing.outcome).toBe('ok');
    expect('result' in nothing).toBe(false);
  });

  it('serialises a Date result the JSON way and refuses functions, symbols, BigInt and cycles', async () => {
    const date = await run(host, runBody('return { at: new Date(0) };'));
    expect(date.result).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    for (const [expr, hint] of [
      ['{ f() {} }', 'function'],
      ['{ s: Symbol("x") }', 'symbol'],
      ['{ n: 10n }', 'BigInt'],
      ['(() => { const o = {}; o.self = o; return o; })()', 'circular'],
    ] as const) {
      const r = await run(host, runBody(`return ${expr};`));
      expect(r.outcome, expr).toBe('error');
      expect(r.error?.message, expr).toMatch(/the result of run must be JSON-serialisable/);
      expect(r.error?.message.toLowerCase(), expr).toContain(hint.toLowerCase());
    }
  });

  it('reports a missing handler clearly', async () => {
    const r = await run(host, runBody('return 1;'), { handler: 'onEvent' });
    expect(r.outcome).toBe('error');
    expect(r.error).toMatchObject({
      name: 'TypeError',
      message: expect.stringContaining('no onEvent handler'),
    });
  });

  it('reports a module without a default export, and a throwing top level', async () => {
    const noDefault = await run(host, 'export const run = () => 1;');
    expect(noDefault.outcome).toBe('error');
    expect(noDefault.error?.message).toMatch(/default export/);
    const throwing = await run(host, 'const x = 1;\nthrow new Error("config missing");\nexport default {};');
    expect(throwing.outcome).toBe('error');
    expect(throwing.error?.message).toBe('config missing');
    expect(throwing.error?.stack).toContain('worker.js:2:7');
  });
});

describe('errors', () => {
  it('gives the error with a stack into worker.js at the throwing line, no host paths', async () => {
    const source = [
      'function check(n) {',
      '  if (n > 1) {',
      "    throw new RangeError('n too big: ' + n);",
      '  }',
      '}',
      'export default {',
      '  async run(input) {',
      '    check(input);',
      '  },',
      '};',
    ].join('\n');
    const r = await run(host, source, { input: 5 });
    expect(r.outcome).toBe('error');
    expect(r.error?.name).toBe('RangeError');
    expect(r.error?.message).toBe('n too big: 5');
    const stack = r.error?.stack ?? '';
    expect(stack.split('\n')[0]).toBe('RangeError: n too big: 5');
    expect(stack).toMatch(/at check \(worker\.js:3:11\)/);
    expect(stack).toMatch(/worker\.js:8:5/);
    expect(stack).not.toContain('m3m-runtime');
    expect(stack).not.toMatch(/\/work\/|node:internal|file:\/\//);
  });

  it('reports non-Error throws', async () => {
    const r = await run(host, runBody("throw 'plain string';"));
    expect(r).toMatchObject({
      outcome: 'error',
      error: { name: 'Error', message: 'Uncaught "plain string"' },
    });
  });

  it('compileWorker gives a syntax error with line and column, and refuses imports', async () => {
    expect(await host.compileWorker(runBody('return 1;'))).toEqual({ ok: true });
    const syntax = await host.compileWorker(
      'export default {\n  async run(input) {\n    return input +;\n  },\n};',
    );
    expect(syntax).toEqual({ ok: false, error: { message: "Unexpected token ';'", line: 3, column: 19 } });
    const imported = await host.compileWorker(
      "const a = 1;\n  import fs from 'node:fs';\nexport default {};",
    );
    expect(imported).toMatchObject({ ok: false, error: { line: 2, column: 3 } });
    if (!imported.ok)
      expect(imported.error.message).toContain("import is not supported in workers ('node:fs')");
    const reexport = await host.compileWorker("export { x } from './other.js';");
    expect(reexport).toMatchObject({ ok: false, error: { line: 1, column: 1 } });
  });

  it('an invocation of a source with a syntax error or an import ends as an error', async () => {
    const syntax = await run(host, 'export default {\n  run( {\n}');
    expect(syntax.outcome).toBe('error');
    expect(syntax.error).toMatchObject({ name: 'SyntaxError', message: 'Unexpected end of input' });
    expect(syntax.error?.stack).toContain('worker.js:3:2');
    const imported = await run(host, "import { readFileSync } from 'fs';\nexport default { run() {} };");
    expect(imported.outcome).toBe('error');
    expect(imported.error?.message).toContain("import is not supported in workers ('fs')");
  });

  it('refuses malformed requests with a TypeError', async () => {
    const worker = { id: 'x', version: 1, source: runBody('return 1;') };
    await expect(host.invoke({ worker, handler: 'nope' as 'run' })).rejects.toThrow(TypeError);
    await expect(host.invoke({ worker, handler: 'run', limits: { memoryMb: 4 } })).rejects.toThrow(
      /memoryMb/,
    );
    await expect(host.invoke({ worker, handler: 'run', limits: { wallMs: -1 } })).rejects.toThrow(/wallMs/);
    await expect(host.invoke({ worker, handler: 'run', input: { f: () => 1 } })).rejects.toThrow(
      /JSON-serialisable/,
    );
    await expect(host.invoke({ worker, handler: 'run', input: 10n })).rejects.toThrow(/JSON-serialisable/);
    const bad = async () => 1;
    for (const path of ['log.x', 'a.__proto__', 'constructor', 'a-b', 'models.a.b']) {
      await expect(host.invoke({ worker, handler: 'run', hostApi: { [path]: bad } }), path).rejects.toThrow(
        TypeError,
      );
    }
    await expect(
      host.invoke({ worker, handler: 'run', hostApi: { goals: bad, 'goals.increment': bad } }),
    ).rejects.toThrow(/conflict/);
  });
});

describe('logs', () => {
  it('records m3m.log and console lines with levels, console-like formatting and timestamps', async () => {
    const before = Date.now();
    const r = await run(
      host,
      runBody(`
        m3m.log.debug('dbg', 1, true, null, undefined);
        m3m.log.info('obj', { a: 1, nested: { b: [1, 2, { c: 'x' }] } });
        m3m.log.warn('fn', function named() {}, Symbol('s'), 12n);
        m3m.log.error(new TypeError('broken'));
        console.log('console.log is info');
        console.error('console.error');
        const cyc = { name: 'cyc' }; cyc.self = cyc;
        console.warn(cyc);
        return 1;`),
    );
    expect(r.outcome).toBe('ok');
    const lines = messages(r);
    expect(lines[0]).toBe('debug: dbg 1 true null undefined');
    expect(lines[1]).toBe('info: obj { a: 1, nested: { b: [ 1, 2, [Object] ] } }'); // depth 2, like Node
    expect(lines[2]).toBe('warn: fn [Function: named] Symbol(s) 12n');
    expect(lines[3]).toMatch(/^error: TypeError: broken\n\s+at Object\.run \(worker\.js:\d+:\d+\)/);
    expect(lines.slice(4)).toEqual([
      'info: console.log is info',
      'error: console.error',
      'warn: { name: "cyc", self: [Circular] }',
    ]);
    for (const line of r.logs) {
      const at = Date.parse(line.at);
      expect(at).toBeGreaterThanOrEqual(before - 5);
      expect(at).toBeLessThanOrEqual(Date.now() + 5);
    }
  });

  it('caps a flood of lines at 200 and says how many were dropped', async () => {
    const r = await run(
      host,
      runBody('for (let i = 0; i < 5000; i++) m3m.log.info("line " + i); return "done";'),
    );
    expect(r.outcome).toBe('ok');
    expect(r.logs).toHaveLength(201);
    expect(r.logs[199]?.message).toBe('line 199');
    expect(r.logs[200]).toMatchObject({
      level: 'warn',
      message: expect.stringMatching(/^… 4800 more log lines dropped/),
    });
  });

  it('caps the bytes too, and truncates one huge line', async () => {
    const r = await run(
      host,
      runBody('for (let i = 0; i < 20; i++) m3m.log.info("x".repeat(20000)); return 1;'),
    );
    expect(r.outcome).toBe('ok');
    const kept = r.logs.filter((l) => l.level === 'info');
    expect(kept.length).toBeGreaterThan(3);
    expect(kept.length).toBeLessThan(20);
    expect(kept.reduce((n, l) => n + Buffer.byteLength(l.message), 0)).toBeLessThanOrEqual(64 * 1024);
    expect(kept[0]!.message.length).toBeLessThanOrEqual(8 * 1024 + 1);
    expect(r.logs.at(-1)?.message).toMatch(/more log lines dropped/);
  });

  it('keeps the lines written before a failure', async () => {
    const r = await run(host, runBody('m3m.log.info("step 1"); throw new Error("step 2 failed");'));
    expect(r.outcome).toBe('error');
    expect(messages(r)).toEqual(['info: step 1']);
  });
});

describe('host API bridge', () => {
  it('round-trips arguments and results as JSON, with the call context', async () => {
    const calls: { args: unknown[]; ctx: HostCallContext }[] = [];
    const id = workerId('bridge');
    const r = await run(
      host,
      runBody(`
        const a = await m3m.goals.increment('signups', 2);
        const b = await m3m.env.get('REGION');
        const c = await m3m.nothing.back();
        return { a, b, c, type: typeof c };`),
      {
        id,
        version: 7,
        hostApi: {
          'goals.increment': (args, ctx) => {
            calls.push({ args, ctx });
            return { slug: args[0], total: 40 + (args[1] as number) };
          },
          'env.get': async (args) => (args[0] === 'REGION' ? 'eu-west' : null),
          'nothing.back': () => undefined,
        },
      },
    );
    expect(r).toMatchObject({
      outcome: 'ok',
      result: { a: { slug: 'signups', total: 42 }, b: 'eu-west', type: 'undefined' },
    });
    expect(calls).toEqual([
      {
        args: ['signups', 2],
        ctx: { invocationId: r.invocationId, workerId: id, version: 7, method: 'goals.increment' },
      },
    ]);
  });

  it('a host function that throws becomes an Error the guest can catch, with name and message only', async () => {
    const r = await run(
      host,
      runBody(`
        try {
          await m3m.goals.increment('nope');
          return 'not thrown';
        } catch (e) {
          return {
            isError: e instanceof Error,
            name: e.name,
            message: e.message,
            own: Object.getOwnPropertyNames(e).sort(),
            secret: e.secret,
            stackHasHost: /work\\/|node:|\\.ts/.test(e.stack),
            stackTop: e.stack.split('\\n')[0],
            stackHasCaller: e.stack.split('\\n')[1].trim().startsWith('at async Object.run (worker.js:5:'),
          };
        }`),
      {
        hostApi: {
          'goals.increment': () => {
            const err = new Error('goal nope does not exist') as Error & { secret?: string };
            err.name = 'GoalNotFound';
            err.secret = 'host data';
            throw err;
          },
        },
      },
    );
    expect(r.outcome).toBe('ok');
    expect(r.result).toEqual({
      isError: true,
      name: 'GoalNotFound',
      message: 'goal nope does not exist',
      own: ['message', 'name', 'stack'],
      stackHasHost: false,
      stackTop: 'GoalNotFound: goal nope does not exist',
      stackHasCaller: true,
    });
  });

  it('an uncaught host error fails the invocation with that message', async () => {
    const r = await run(host, runBody('await m3m.http.fetch("x");'), {
      hostApi: {
        'http.fetch': async () => {
          throw new Error('address refused');
        },
      },
    });
    expect(r.outcome).toBe('error');
    expect(r.error?.message).toBe('address refused');
    expect(r.error?.stack).toMatch(/worker\.js:3:/);
  });

  it('only declared methods exist on m3m, which is frozen', async () => {
    const r = await run(
      host,
      runBody(`
        const before = Object.keys(m3m).sort();
        let assigned = 'no';
        try { m3m.goals.extra = 1; assigned = 'yes'; } catch (e) { assigned = e.constructor.name; }
        try { globalThis.m3m = {}; } catch (e) {}
        return {
          before,
          goals: Object.keys(m3m.goals),
          env: typeof m3m.env,
          http: typeof m3m.http,
          log: Object.keys(m3m.log).sort(),
          frozen: Object.isFrozen(m3m) && Object.isFrozen(m3m.goals) && Object.isFrozen(m3m.log),
          assigned,
          stillSame: Object.keys(globalThis.m3m).sort().join(),
          enumerableGlobal: Object.keys(globalThis).includes('m3m'),
        };`),
      { hostApi: { 'goals.increment': () => 1 } },
    );
    expect(r.result).toEqual({
      before: ['goals', 'log'],
      goals: ['increment'],
      env: 'undefined',
      http: 'undefined',
      log: ['debug', 'error', 'info', 'warn'],
      frozen: true,
      assigned: 'TypeError',
      stillSame: 'goals,log',
      enumerableGlobal: false,
    });
  });

  it('models.<op> methods appear as m3m.models.collection(name).<op> and receive the collection name', async () => {
    const seen: unknown[][] = [];
    const r = await run(
      host,
      runBody(`
        const orders = m3m.models.collection('orders');
        const id = await orders.insert({ total: 5 });
        const found = await orders.findOne({ id });
        return { id, found, ops: Object.keys(orders).sort(), direct: typeof m3m.models.insert };`),
      {
        hostApi: {
          'models.insert': (args) => {
            seen.push(args);
            return 'o1';
          },
          'models.findOne': (args) => {
            seen.push(args);
            return { id: 'o1', total: 5 };
          },
        },
      },
    );
    expect(r.result).toEqual({
      id: 'o1',
      found: { id: 'o1', total: 5 },
      ops: ['findOne', 'insert'],
      direct: 'undefined',
    });
    expect(seen).toEqual([
      ['orders', { total: 5 }],
      ['orders', { id: 'o1' }],
    ]);
  });

  it('refuses host arguments that are not JSON before they leave the isolate', async () => {
    let called = 0;
    const r = await run(
      host,
      runBody(`
        const out = [];
        for (const bad of [() => 1, Symbol('s'), 5n]) {
          try { await m3m.events.emit('x', { bad }); out.push('sent'); } catch (e) { out.push(e.name + ': ' + e.message); }
        }
        return out;`),
      {
        hostApi: {
          'events.emit': () => {
            called++;
          },
        },
      },
    );
    expect(called).toBe(0);
    expect(r.result).toEqual([
      expect.stringMatching(
        /^TypeError: the arguments of m3m\.events\.emit must be JSON-serialisable: a function at key "bad"/,
      ),
      expect.stringMatching(/^TypeError: .*a symbol at key "bad"/),
      expect.stringMatching(/^TypeError: .*BigInt/),
    ]);
  });

  it('host calls run concurrently from one invocation (Promise.all)', async () => {
    const r = await run(
      host,
      runBody(`
        const values = await Promise.all([1, 2, 3, 4, 5].map((n) => m3m.slow.square(n)));
        return values;`),
      {
        hostApi: {
          'slow.square': async (args) => {
            const n = args[0] as number;
            await new Promise((resolve) => setTimeout(resolve, 30 - n * 5)); // later calls answer first
            return n * n;
          },
        },
      },
    );
    expect(r.result).toEqual([1, 4, 9, 16, 25]);
  });
});

describe('warm isolates', () => {
  const counterSource = 'let count = 0;\nexport default { async run() { count++; return count; } };';

  it('keeps module state between invocations of one version, and dispose() resets it', async () => {
    const id = workerId('counter');
    const first = await run(host, counterSource, { id });
    const second = await run(host, counterSource, { id });
    const third = await run(host, counterSource, { id });
    expect([first.result, second.result, third.result]).toEqual([1, 2, 3]);
    expect([first.coldStart, second.coldStart, third.coldStart]).toEqual([true, false, false]);

    expect(await host.dispose(id)).toBe(1);
    const afterDispose = await run(host, counterSource, { id });
    expect(afterDispose).toMatchObject({ result: 1, coldStart: true });

    const otherVersion = await run(host, counterSource, { id, version: 2 });
    expect(otherVersion.result).toBe(1);
    expect(await host.dispose(id, 1)).toBe(1);
    expect((await run(host, counterSource, { id, version: 2 })).result).toBe(2);
  });

  it('a guest error keeps the isolate; a different memory limit or host API shape builds a new one', async () => {
    const id = workerId('keep');
    const source =
      'let n = 0;\nexport default { async run(x) { n++; if (x === "fail") throw new Error("x"); return n; } };';
    expect((await run(host, source, { id })).result).toBe(1);
    expect((await run(host, source, { id, input: 'fail' })).outcome).toBe('error');
    expect((await run(host, source, { id })).result).toBe(3);
    expect((await run(host, source, { id, limits: { memoryMb: 64 } })).result).toBe(1);
    expect(
      (await run(host, source, { id, limits: { memoryMb: 64 }, hostApi: { 'a.b': () => 1 } })).result,
    ).toBe(1);
  });

  it('lists the warm isolates', async () => {
    const id = workerId('listed');
    await run(host, counterSource, { id, limits: { memoryMb: 32 } });
    const listed = (await host.isolates()).find((i) => i.workerId === id);
    expect(listed).toMatchObject({ version: 1, memoryMb: 32, invocations: 1, busy: false });
    expect(listed?.heapUsedBytes).toBeGreaterThan(0);
  });

  it('evicts the least recently used isolate beyond maxIsolates', async () => {
    const small = testHost({ maxIsolates: 2 });
    try {
      await run(small, counterSource, { id: 'a' });
      await run(small, counterSource, { id: 'b' });
      await run(small, counterSource, { id: 'a' });
      await run(small, counterSource, { id: 'c' }); // evicts b, the least recently used
      expect((await small.isolates()).map((i) => i.workerId).sort()).toEqual(['a', 'c']);
      expect((await run(small, counterSource, { id: 'a' })).result).toBe(3);
      expect((await run(small, counterSource, { id: 'b' })).result).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('runs different workers concurrently and one worker version one invocation at a time', async () => {
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let waiting: () => void = () => {};
    const firstWaits = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const hostApi = {
      'test.wait': async (args: unknown[]) => {
        order.push(`wait ${String(args[0])}`);
        waiting();
        await gate;
      },
      'test.mark': (args: unknown[]) => {
        order.push(`mark ${String(args[0])}`);
      },
    };
    const slow = runBody('await m3m.test.wait(input); await m3m.test.mark(input); return input;');
    const slowId = workerId('slow');
    const first = run(host, slow, { id: slowId, input: 'first', hostApi });
    const second = run(host, slow, { id: slowId, input: 'second', hostApi });
    await firstWaits;
    const other = await run(host, runBody('await m3m.test.mark(input); return input;'), {
      input: 'other',
      hostApi,
    });
    expect(other.result).toBe('other'); // done while the slow worker waits
    expect(order).toEqual(['wait first', 'mark other']);
    release();
    expect((await first).result).toBe('first');
    expect((await second).result).toBe('second');
    expect(order).toEqual(['wait first', 'mark other', 'mark first', 'wait second', 'mark second']);
  });

  it("runs one worker's invocations one after another in the order they came, across versions (a deploy between two in-order deliveries), and says when each began", async () => {
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hostApi = {
      'test.wait': async (args: unknown[]) => {
        order.push(`wait ${String(args[0])}`);
        await gate;
      },
      'test.mark': (args: unknown[]) => {
        order.push(`mark ${String(args[0])}`);
      },
    };
    const id = workerId('deployed');
    const before = Date.now();
    const v1 = run(host, runBody('await m3m.test.wait(input); await m3m.test.mark(input); return 1;'), {
      id,
      version: 1,
      input: 'v1',
      hostApi,
    });
    // Handed in while v1 runs, as a delivery ahead of its turn: without one lane per worker it would start now.
    const v2 = run(host, runBody('await m3m.test.mark(input); return 2;'), {
      id,
      version: 2,
      input: 'v2',
      hostApi,
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(order).toEqual(['wait v1']);
    release();
    const [first, second] = await Promise.all([v1, v2]);
    expect([first.result, second.result]).toEqual([1, 2]);
    expect(order).toEqual(['wait v1', 'mark v1', 'mark v2']);
    expect(first.startedAt).toBeGreaterThanOrEqual(before - 1);
    // v2 began once v1 had ended (both in whole milliseconds, cut).
    expect(second.startedAt!).toBeGreaterThanOrEqual(first.startedAt! + Math.floor(first.durationMs) - 1);
    expect(first.durationMs).toBeGreaterThanOrEqual(100); // it waited for the gate
  });
});

describe('guest environment', () => {
  it('has the language and timers bounded by the invocation, but no Node, no WebAssembly and no growable buffers', async () => {
    const r = await run(
      host,
      runBody(`
        return {
          process: typeof process, require: typeof require, module: typeof module, Buffer: typeof Buffer,
          setTimeout: typeof setTimeout, fetch: typeof fetch, WebAssembly: typeof WebAssembly,
          resize: typeof new ArrayBuffer(1, { maxByteLength: 8 }).resize,
          grow: typeof new SharedArrayBuffer(1, { maxByteLength: 8 }).grow,
          transfer: typeof ArrayBuffer.prototype.transfer,
          json: JSON.stringify({ ok: [1] }), math: Math.max(1, 2), intl: typeof Intl, date: typeof Date.now(),
        };`),
    );
    expect(r.result).toEqual({
      process: 'undefined',
      require: 'undefined',
      module: 'undefined',
      Buffer: 'undefined',
      setTimeout: 'function',
      fetch: 'undefined',
      WebAssembly: 'undefined',
      resize: 'undefined',
      grow: 'undefined',
      transfer: 'undefined',
      json: '{"ok":[1]}',
      math: 2,
      intl: 'object',
      date: 'number',
    });
  });

  it('reports the status of the runtime process', async () => {
    const status = host.status();
    expect(status.state).toBe('ready');
    expect(status.pid).toBeGreaterThan(0);
    expect(status.pid).not.toBe(process.pid);
    expect(status.inFlight).toBe(0);
  });
});
