import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { findAll } from '../../application/ports/findAll.ts';
import type { InvocationRecord } from '../../application/runtime/invocations.ts';
import { RELAY_TELL_MS } from '../../infrastructure/projectionThread/protocol.ts';
import { threadWriteLock } from '../../infrastructure/projectionThread/threadWriteLock.ts';
import { snapshot } from '../kit/clusterScenario.ts';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * The projection thread of `m3m serve` (ADR 30) through the real parts: a SQLite data dir, the HTTP server on
 * loopback, the feed, the projections and the webhook outbox in their worker thread, the runtime subscriber on
 * the HTTP thread fed by message, a worker in the sandbox. The thread is made to fail under increment load (an
 * uncaught error inside it, then `Worker.terminate()` from outside), and the read store's write lock shared by the
 * two threads is held against the HTTP thread's writes.
 */

interface Health {
  status: string;
  reasons?: string[];
  projections: { name: string; state: string; lastError: string | null; position: number }[];
  runtime: { subscriber: { state: string; lastError: string | null; position: number } };
  webhooks: { outbox: { state: string; lastError: string | null } | null };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function health(server: TestServer): Promise<Health> {
  const response = await server.request('GET', '/health');
  return (await response.json()) as Health;
}

/** `connections` clients incrementing one goal over HTTP with the project's key, until stopped. */
function incrementLoad(server: TestServer, goal: string, apiKey: string, connections: number) {
  let stopping = false;
  const statuses: Record<number, number> = {};
  const errors: string[] = [];
  let ok = 0;
  const loops = Array.from({ length: connections }, async () => {
    while (!stopping) {
      try {
        const response = await server.request('POST', `/api/v1/goals/${goal}/increment`, {
          headers: { 'x-api-key': apiKey },
          body: { by: 1 },
        });
        await response.arrayBuffer();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        if (response.status === 200) ok++;
      } catch (error) {
        errors.push(String(error));
      }
    }
  });
  return {
    get ok() {
      return ok;
    },
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return { ok, statuses, errors };
    },
  };
}

/** The thread's failure seen at /health, then its recovery: what `/health` said while it was down. */
async function downAndBackUp(server: TestServer, restartsBefore: number, fail: () => unknown) {
  const thread = server.m3m.projectionThread!;
  const failedAt = Date.now();
  await fail();
  const down = await until('/health degraded by the stopped projection thread', async () => {
    const h = await health(server);
    // The reason comes with the thread's error, its consumers' states with its exit, just after.
    return (
      h.reasons?.some((r) => r.startsWith('the projection thread stopped')) &&
      h.projections.every((p) => p.state === 'retrying') &&
      h
    );
  });
  const back = await until(
    'the projection thread started again and /health ok',
    async () => {
      const h = await health(server);
      return thread.restarts > restartsBefore && thread.failure === null && h.status === 'ok' && h;
    },
    30_000,
  );
  return { down, back, failedAt, upAt: Date.now() };
}

describe('the projection thread (m3m serve, ADR 30)', () => {
  let server: TestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('dies under increment load: /health says so, it is started again with backoff, catches up, loses no acknowledged increment, equals a replay, and the runtime subscriber delivers again', async () => {
    server = await startTestServer({
      captureLogs: true,
      // A lagging projection is not what this test is about: only the thread's failure degrades /health here.
      env: { M3M_HEALTH_MAX_LAG: '1000000', M3M_LOG_LEVEL: 'info' },
      open: { subscriber: { retryBaseMs: 20, retryMaxMs: 100, pollMs: 50 } },
    });
    const s = server;
    const thread = s.m3m.projectionThread!;
    expect(thread).not.toBeNull();
    const root = await s.signInAsRoot();
    const loaded = await createProject(s, root, 'loaded');
    const listened = await createProject(s, root, 'listened');
    for (const project of [loaded, listened]) {
      await expectStatus(
        send(s, 'POST', `/api/v1/projects/${project.id}/goals`, {
          token: root,
          body: { slug: 'hits', name: 'Hits', type: 'counter' },
        }),
        201,
      );
    }
    // A worker of the other project listens to the increments: the runtime subscriber (HTTP thread) gets every
    // GoalIncremented page relayed from the thread, and invokes the worker for the ones of its project.
    const worker = await createWorker(
      s,
      root,
      listened.id,
      { name: 'listener', slug: 'listener', triggers: { events: ['GoalIncremented'] } },
      'export default {\n  async onEvent(event) {\n    return event.id;\n  },\n};\n',
    );
    const invocations = () =>
      findAll(s.m3m.readStore.collection<InvocationRecord>('worker_invocations'), { workerId: worker.id });
    const incrementListened = async () => {
      await expectStatus(
        send(s, 'POST', '/api/v1/goals/listened-hits/increment', {
          headers: { 'x-api-key': listened.apiKey },
          body: { by: 1 },
        }),
        200,
      );
      const [event] = await s.m3m.eventStore.readAll({ fromPosition: (await s.headPosition()) - 1 });
      return event!;
    };
    const first = await incrementListened();
    await until('the worker invoked before the failures', async () =>
      (await invocations()).some((r) => r.eventId === first.id),
    );

    const load = incrementLoad(s, 'loaded-hits', loaded.apiKey, 6);
    let answered = 0;
    try {
      await until('increments answered', async () => load.ok >= 100);

      // 1. An uncaught error inside the thread.
      const okBeforeCrash = load.ok;
      const crashed = await downAndBackUp(s, 0, () => thread.crash());
      expect(crashed.down.status).toBe('degraded');
      expect(crashed.down.reasons).toContainEqual(expect.stringMatching(/crash asked for/));
      for (const p of crashed.down.projections) {
        expect(p, p.name).toMatchObject({
          state: 'retrying',
          lastError: expect.stringMatching(/crash asked for/),
        });
      }
      expect(crashed.down.webhooks.outbox).toMatchObject({ state: 'retrying' });
      expect(crashed.down.runtime.subscriber.state).toBe('retrying');
      expect(crashed.down.runtime.subscriber.lastError).toMatch(/crash asked for/);
      expect(thread.restarts).toBe(1);
      // The HTTP thread kept answering increments while the projections were down.
      expect(load.ok).toBeGreaterThan(okBeforeCrash);

      const okAfterFirst = load.ok;
      await until('increments answered after the first restart', async () => load.ok >= okAfterFirst + 100);

      // 2. Ended from outside, wherever it was (mid-page, holding the read store's write lock or not).
      const terminated = await downAndBackUp(s, 1, () => thread.terminate());
      expect(terminated.down.reasons).toContainEqual(expect.stringMatching(/exited \(1\)/));
      for (const p of terminated.down.projections) expect(p.state, p.name).toBe('retrying');
      expect(thread.restarts).toBe(2);
      await until('increments answered after the second restart', async () => load.ok >= okAfterFirst + 200);
    } finally {
      const result = await load.stop();
      answered = result.ok;
      expect(result.errors).toEqual([]);
      // Every increment was answered 200: appends do not need the projections.
      expect(Object.keys(result.statuses)).toEqual(['200']);
    }

    // Started again after a backoff (250 ms the first time), not at once, and running after each failure.
    const lines = s.logs.map((line) => JSON.parse(line) as { msg?: string; time: number; inMs?: number });
    const stopped = lines.filter((l) => l.msg === 'the projection thread stopped: starting it again');
    const starting = lines.filter((l) => l.msg === 'starting the projection thread again');
    const again = lines.filter((l) => l.msg === 'the projection thread runs again');
    expect(stopped.map((l) => l.inMs)).toEqual([250, 250]);
    expect(starting).toHaveLength(2);
    expect(again).toHaveLength(2);
    for (let i = 0; i < 2; i++) {
      expect(starting[i]!.time - stopped[i]!.time).toBeGreaterThanOrEqual(245);
      expect(again[i]!.time).toBeGreaterThanOrEqual(starting[i]!.time);
    }
    expect(s.logs.join('')).not.toMatch(/SQLITE_BUSY|database is locked/);

    // Caught up: the total is the number of 200 answers, no more, no fewer.
    const head = await s.headPosition();
    await s.m3m.runner.waitFor(head, 30_000);
    const goal = await expectStatus(send(s, 'GET', '/api/v1/goals/loaded-hits', { token: root }), 200);
    const increments = (await s.m3m.eventStore.readAll({ fromPosition: 0, limit: 1_000_000 })).filter(
      (e) => e.type === 'GoalIncremented' && (e.data as { projectId: string }).projectId === loaded.id,
    );
    expect(goal.json.total).toBe(answered);
    expect(increments).toHaveLength(answered);
    expect(answered).toBeGreaterThanOrEqual(300);

    // The runtime subscriber delivers after the restarts (relayed pages again), and is at the head.
    const after = await incrementListened();
    await until('the worker invoked after the restarts', async () =>
      (await invocations()).some((r) => r.eventId === after.id && r.outcome === 'ok'),
    );
    await s.m3m.triggers.subscriber.waitFor(after.position, 30_000);
    expect((await health(s)).status).toBe('ok');

    // The projections, applied across two failures, equal a full replay of the log.
    await s.m3m.runner.waitFor(after.position, 30_000);
    // (The audit log's interned numbers follow the order names were first seen: compared resolved.)
    const live = await snapshot(s.m3m.readStore);
    expect(live.get('goal_totals')).toContainEqual(expect.objectContaining({ total: answered }));
    await s.m3m.runner.replay();
    expect(await snapshot(s.m3m.readStore)).toEqual(live);
  }, 120_000);

  it('shares the read store: a held write lock is waited for without blocking the HTTP thread, and both threads writing under load lose nothing', async () => {
    server = await startTestServer({
      captureLogs: true,
      env: { M3M_HEALTH_MAX_LAG: '1000000', M3M_LOG_LEVEL: 'info' },
    });
    const s = server;
    const root = await s.signInAsRoot();
    const project = await createProject(s, root, 'shared');
    await expectStatus(
      send(s, 'POST', `/api/v1/projects/${project.id}/goals`, {
        token: root,
        body: { slug: 'hits', name: 'Hits', type: 'counter' },
      }),
      201,
    );
    await s.m3m.runner.waitFor(await s.headPosition());
    const probes = s.m3m.readStore.collection<{ id: string; n: number }>('lock_probe');

    // 1. The projection thread's side of the lock held, and SQLite's own write lock with it (as the thread holds
    // both while it commits a page): a write on the HTTP thread waits, its event loop does not.
    const held = threadWriteLock(s.m3m.projectionThread!.lock, 'projections');
    await held.acquire();
    const other = new DatabaseSync(join(s.dataDir, 'read.sqlite'), { timeout: 0 });
    other.exec('BEGIN IMMEDIATE');
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let writtenAt = 0;
    const write = probes.upsert({ id: 'while-held', n: 1 }).then(() => {
      writtenAt = performance.now();
    });
    await sleep(100);
    const asked = performance.now();
    const answered = await s.request('GET', '/health');
    const answeredAt = performance.now();
    expect(answered.status).toBe(200);
    await answered.arrayBuffer();
    await sleep(300);
    expect(writtenAt).toBe(0);
    other.exec('COMMIT');
    other.close();
    const releasedAt = performance.now();
    held.release();
    await write;
    loop.disable();
    expect(answeredAt).toBeLessThan(releasedAt);
    expect(answeredAt - asked).toBeLessThan(1_000);
    expect(writtenAt).toBeGreaterThanOrEqual(releasedAt);
    // A write stuck in SQLite's busy handler would block the loop for as long as the lock is held (400 ms here).
    expect(loop.max / 1e6).toBeLessThan(300);
    expect(await probes.get('while-held')).toEqual({ id: 'while-held', n: 1 });

    // 2. Both threads writing read.sqlite at once: the projections a page of increments at a time (thread), the
    // HTTP thread single documents and counters, with requests answered meanwhile.
    const load = incrementLoad(s, 'shared-hits', project.apiKey, 6);
    const during = monitorEventLoopDelay({ resolution: 10 });
    let httpWrites = 0;
    const healthLatencies: number[] = [];
    let states: string[] = [];
    try {
      await until('increments answered', async () => load.ok >= 50);
      during.enable();
      const writers = Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 100; i++) {
          await probes.upsert({ id: `w${w}-${i}`, n: i });
          await probes.patch('counter', { $inc: { n: 1 } }, { upsert: true });
          httpWrites++;
        }
      });
      const watcher = (async () => {
        while (httpWrites < 400) {
          const t = performance.now();
          const h = await health(s);
          healthLatencies.push(performance.now() - t);
          states = [...states, ...h.projections.map((p) => p.state), h.status];
          await sleep(20);
        }
      })();
      await Promise.all([...writers, watcher]);
      during.disable();
    } finally {
      const result = await load.stop();
      expect(result.errors).toEqual([]);
      expect(Object.keys(result.statuses)).toEqual(['200']);
    }
    expect(httpWrites).toBe(400);
    expect((await probes.get('counter'))?.n).toBe(400);
    expect(await probes.count({})).toBe(1 + 400 + 1);
    expect(healthLatencies.length).toBeGreaterThan(0);
    expect(states).not.toContain('retrying');
    expect(states).not.toContain('degraded');
    expect(s.logs.join('')).not.toMatch(/SQLITE_BUSY|database is locked/);
    await s.m3m.runner.waitFor(await s.headPosition(), 30_000);
    const goal = await expectStatus(send(s, 'GET', '/api/v1/goals/shared-hits', { token: root }), 200);
    expect(goal.json.total).toBe(load.ok);
    console.log(
      `projection thread lock under load: ${load.ok} increments, ${httpWrites} HTTP-thread writes; ` +
        `HTTP thread loop delay p99 ${(during.percentile(99) / 1e6).toFixed(1)} ms, max ${(during.max / 1e6).toFixed(1)} ms; ` +
        `/health answered in max ${Math.round(Math.max(...healthLatencies))} ms`,
    );
  }, 120_000);

  it('relays the runtime subscriber only events some worker listens to: increments nobody listens to cost the HTTP thread no page and no event, its checkpoint still reaches the head, and a worker created later gets the events after its creation', async () => {
    server = await startTestServer({ env: { M3M_HEALTH_MAX_LAG: '1000000' } });
    const s = server;
    const relayed = () => s.m3m.projectionThread!.feed.relayed;
    const root = await s.signInAsRoot();
    const project = await createProject(s, root, 'quiet');
    await expectStatus(
      send(s, 'POST', `/api/v1/projects/${project.id}/goals`, {
        token: root,
        body: { slug: 'hits', name: 'Hits', type: 'counter' },
      }),
      201,
    );
    // A worker of the project listening to another type: its project's increments are still nobody's.
    await createWorker(
      s,
      root,
      project.id,
      { name: 'other', slug: 'other', triggers: { events: ['GoalCreated'] } },
      'export default {\n  async onEvent(event) {\n    return event.id;\n  },\n};\n',
    );
    const startHead = await s.headPosition();
    await s.m3m.triggers.subscriber.waitFor(startHead, 20_000);
    const before = relayed();
    const startedAt = Date.now();

    const load = incrementLoad(s, 'quiet-hits', project.apiKey, 4);
    await until('increments answered', async () => load.ok >= 300);
    const result = await load.stop();
    expect(result.errors).toEqual([]);
    const head = await s.headPosition();
    expect(head - startHead).toBe(result.ok);
    // The subscriber's stored checkpoint reaches the head without a page of events: the thread tells it how far.
    await s.m3m.triggers.subscriber.waitFor(head, 20_000);
    const elapsed = Date.now() - startedAt;
    const during = relayed();
    expect(during.events - before.events).toBe(0);
    // At most one page (without events) per RELAY_TELL_MS, not one per increment's page as before.
    expect(during.pages - before.pages).toBeLessThanOrEqual(Math.ceil(elapsed / RELAY_TELL_MS) + 2);
    expect(during.pages - before.pages).toBeLessThan(result.ok / 4);
    const h = await health(s);
    expect(h.status).toBe('ok');
    expect(h.runtime.subscriber.position).toBe(head);
    expect(s.m3m.triggers.subscriber.status()).toMatchObject({ position: head, received: head });

    // A worker created (and deployed) now gets the increments after that, relayed; none from before.
    const worker = await createWorker(
      s,
      root,
      project.id,
      { name: 'late', slug: 'late', triggers: { events: ['GoalIncremented'] } },
      'export default {\n  async onEvent(event) {\n    return event.id;\n  },\n};\n',
    );
    const deployedAt = await s.headPosition();
    for (let i = 0; i < 3; i++) {
      await expectStatus(
        send(s, 'POST', '/api/v1/goals/quiet-hits/increment', {
          headers: { 'x-api-key': project.apiKey },
          body: { by: 1 },
        }),
        200,
      );
    }
    const after = (await s.m3m.eventStore.readAll({ fromPosition: deployedAt })).filter(
      (e) => e.type === 'GoalIncremented',
    );
    expect(after).toHaveLength(3);
    const invocations = () =>
      findAll(s.m3m.readStore.collection<InvocationRecord>('worker_invocations'), { workerId: worker.id });
    await until('the late worker invoked for the increments after its creation', async () => {
      const records = await invocations();
      return after.every((e) => records.some((r) => r.eventId === e.id && r.outcome === 'ok'));
    });
    await s.m3m.triggers.subscriber.waitFor(await s.headPosition(), 20_000);
    const records = await invocations();
    expect(records).toHaveLength(3);
    expect(relayed().events - during.events).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
