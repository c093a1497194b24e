import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Issue 12, item 6: one project could hold the whole runtime and fan one invocation out into 1,000 events. Per
 * project: concurrent invocations (a project at its limit waits, others do not), emits per invocation and per
 * minute.
 */
describe("a project's fair share of the runtime", () => {
  let server: TestServer;
  let root: string;

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        M3M_PROJECT_MAX_CONCURRENT: '2',
        M3M_PROJECT_EMITS_PER_INVOCATION: '5',
        M3M_PROJECT_EMITS_PER_MINUTE: '8',
        M3M_WORKER_CPU_MS: '3000',
      },
    });
    root = await server.signInAsRoot();
  });
  afterAll(() => server?.close());

  const run = (projectId: string, workerId: string) =>
    expectStatus(
      send(server, 'POST', `/api/v1/projects/${projectId}/workers/${workerId}/run`, {
        token: root,
        body: {},
      }),
      200,
    );
  /** Busy for 600 ms; answers when it ran. */
  const busy =
    'export default { run() { const start = Date.now(); while (Date.now() - start < 600) {} return { start, end: Date.now() }; } };';

  it('at most M3M_PROJECT_MAX_CONCURRENT of a project run at once; the rest wait, another project does not', async () => {
    const crowd = await createProject(server, root, 'crowd');
    const solo = await createProject(server, root, 'solo');
    const workers = [];
    for (let i = 0; i < 4; i++) {
      workers.push(await createWorker(server, root, crowd.id, { name: `W${i}`, slug: `w${i}` }, busy));
    }
    const alone = await createWorker(server, root, solo.id, { name: 'Alone', slug: 'alone' }, busy);
    // Warm every isolate first, so cold starts do not blur the picture.
    await Promise.all([...workers.map((w) => run(crowd.id, w.id)), run(solo.id, alone.id)]);

    const crowdRuns = workers.map((w) => run(crowd.id, w.id));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const soloRun = run(solo.id, alone.id);
    const spans = (await Promise.all(crowdRuns)).map((r) => r.json.result as { start: number; end: number });
    const soloSpan = (await soloRun).json.result as { start: number; end: number };

    // Never more than two of the crowd's runs overlap…
    const overlapping = (at: number) => spans.filter((s) => s.start <= at && at < s.end).length;
    expect(Math.max(...spans.map((s) => overlapping(s.start)))).toBe(2);
    // …so two of them started only after another had ended;
    const sorted = spans.map((s) => s.start).sort((a, b) => a - b);
    const firstEnd = Math.min(...spans.map((s) => s.end));
    expect(sorted[2]).toBeGreaterThanOrEqual(firstEnd);
    // while the other project's run started at once, beside the crowd's first two.
    expect(soloSpan.start).toBeLessThan(firstEnd);
  });

  it('one invocation emits at most M3M_PROJECT_EMITS_PER_INVOCATION events; past M3M_PROJECT_EMITS_PER_MINUTE an emit waits, and gives up when its time runs out; another project still emits', async () => {
    const loud = await createProject(server, root, 'loud');
    const quiet = await createProject(server, root, 'quiet');
    const source = `export default {
      async run() {
        let sent = 0;
        try { for (let i = 0; i < 20; i++) { await m3m.events.emit('Ping', { i }); sent++; } }
        catch (e) { return { sent, error: e.name + ': ' + e.message }; }
        return { sent };
      },
    };`;
    const emitter = await createWorker(
      server,
      root,
      loud.id,
      { name: 'Emit', slug: 'emit', limits: { wallMs: 1500 } },
      source,
    );
    const first = await run(loud.id, emitter.id);
    expect(first.json.result).toEqual({
      sent: 5,
      error:
        'RangeError: m3m.events.emit: one invocation emits at most 5 events (M3M_PROJECT_EMITS_PER_INVOCATION)',
    });
    const second = await run(loud.id, emitter.id);
    expect(second.json.result).toEqual({
      sent: 3,
      error: expect.stringMatching(
        /^RangeError: m3m\.events\.emit: the project's workers emitted 8 events in the last minute \(M3M_PROJECT_EMITS_PER_MINUTE\)/,
      ),
    });
    const stream = await server.m3m.eventStore.readStream(`project-events-${loud.id}`);
    expect(stream).toHaveLength(8);

    const other = await createWorker(server, root, quiet.id, { name: 'Emit', slug: 'emit' }, source);
    expect((await run(quiet.id, other.id)).json.result).toMatchObject({ sent: 5 });
  });
});

/**
 * Issue 12, item 6, the isolates: one project could fill the runtime process's whole pool of warm isolates (50) and
 * push every other project's isolates out. A project holds at most M3M_PROJECT_MAX_ISOLATES: past it, it replaces
 * its own least recently used idle isolate, or waits for one of its own to finish; others do not wait.
 */
describe("a project's share of the isolate pool", () => {
  let server: TestServer;
  let root: string;

  beforeAll(async () => {
    server = await startTestServer({
      env: { M3M_PROJECT_MAX_ISOLATES: '2', M3M_PROJECT_MAX_CONCURRENT: '4', M3M_WORKER_CPU_MS: '3000' },
    });
    root = await server.signInAsRoot();
  });
  afterAll(() => server?.close());

  const run = (projectId: string, workerId: string) =>
    expectStatus(
      send(server, 'POST', `/api/v1/projects/${projectId}/workers/${workerId}/run`, {
        token: root,
        body: {},
      }),
      200,
    );
  const busy =
    'export default { run() { const start = Date.now(); while (Date.now() - start < 600) {} return { start, end: Date.now() }; } };';

  it('a project with more workers than its share runs at most M3M_PROJECT_MAX_ISOLATES at once; another project does not wait, and keeps its warm isolate', async () => {
    const crowd = await createProject(server, root, 'isolate-crowd');
    const solo = await createProject(server, root, 'isolate-solo');
    const workers = [];
    for (let i = 0; i < 3; i++) {
      workers.push(await createWorker(server, root, crowd.id, { name: `I${i}`, slug: `i${i}` }, busy));
    }
    const alone = await createWorker(server, root, solo.id, { name: 'Alone', slug: 'alone' }, busy);
    await run(solo.id, alone.id); // warm

    const crowdRuns = workers.map((w) => run(crowd.id, w.id));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const soloRun = run(solo.id, alone.id);
    const spans = (await Promise.all(crowdRuns)).map((r) => r.json.result as { start: number; end: number });
    const soloSpan = (await soloRun).json.result as { start: number; end: number };

    // Three runs were allowed at once (M3M_PROJECT_MAX_CONCURRENT is 4), but only two isolates: never three overlap…
    const overlapping = (at: number) => spans.filter((s) => s.start <= at && at < s.end).length;
    expect(Math.max(...spans.map((s) => overlapping(s.start)))).toBe(2);
    const firstEnd = Math.min(...spans.map((s) => s.end));
    expect(Math.max(...spans.map((s) => s.start))).toBeGreaterThanOrEqual(firstEnd);
    // …while the other project's run started at once, and its isolate stayed warm.
    expect(soloSpan.start).toBeLessThan(firstEnd);

    const isolates = await server.m3m.sandbox.isolates();
    expect(isolates.filter((i) => i.projectId === crowd.id)).toHaveLength(2);
    expect(isolates.filter((i) => i.projectId === solo.id).map((i) => i.workerId)).toEqual([alone.id]);
  });
});
