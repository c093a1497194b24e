import { Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore, RecordedEvent } from '../../application/ports/eventStore.ts';
import { findAll } from '../../application/ports/findAll.ts';
import { type DeliveryDoc, WORKER_DELIVERIES } from '../../application/runtime/deliveries.ts';
import type { InvocationRecord } from '../../application/runtime/invocations.ts';
import { invokeWorker } from '../../application/runtime/invokeWorker.ts';
import {
  RUNTIME_CHECKPOINT,
  RuntimeSubscriber,
  type RuntimeSubscriberOptions,
} from '../../application/runtime/runtimeSubscriber.ts';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';
import { withSparsePositions } from '../kit/sparsePositions.ts';

/**
 * The event trigger end to end: real stores, the real runtime subscriber started by the server, the real
 * sandbox runtime process, goals incremented over HTTP. Retries are shortened (20 ms base) and the limits
 * lowered (3 attempts, depth 4) so the suite stays fast.
 */
describe('event triggers', () => {
  let server: TestServer;
  let root: string;

  const onEvent = (body: string) => `export default {\n  async onEvent(event) {\n${body}\n  },\n};\n`;
  const invocations = (workerId: string) =>
    findAll(
      server.m3m.readStore.collection<InvocationRecord>('worker_invocations'),
      { workerId },
      { startedAt: 1 },
    );
  const deliveries = (filter: Record<string, string>) =>
    findAll(server.m3m.readStore.collection<DeliveryDoc>(WORKER_DELIVERIES), filter);
  async function until<T>(
    what: string,
    probe: () => Promise<T | null | undefined | false>,
    ms = 10_000,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const invocationsAtLeast = (workerId: string, n: number) =>
    until(`${n} invocations of ${workerId}`, async () => {
      const list = await invocations(workerId);
      return list.length >= n && list;
    });

  async function projectWithGoal(slug: string) {
    const project = await createProject(server, root, slug);
    await expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/goals`, {
        token: root,
        body: { slug: 'orders', name: 'Orders', type: 'counter' },
      }),
      201,
    );
    const increment = async (by: number) => {
      await expectStatus(
        send(server, 'POST', `/api/v1/goals/${slug}-orders/increment`, {
          headers: { 'x-api-key': project.apiKey },
          body: { by },
        }),
        200,
      );
      const [event] = await server.m3m.eventStore.readAll({
        fromPosition: (await server.m3m.eventStore.headPosition()) - 1,
      });
      expect(event?.type).toBe('GoalIncremented');
      return event!;
    };
    /** Several increments at once (concurrent HTTP calls): their events, in `$all` order. */
    const incrementMany = async (bys: number[]) => {
      const before = await server.m3m.eventStore.headPosition();
      await Promise.all(
        bys.map((by) =>
          expectStatus(
            send(server, 'POST', `/api/v1/goals/${slug}-orders/increment`, {
              headers: { 'x-api-key': project.apiKey },
              body: { by },
            }),
            200,
          ),
        ),
      );
      const events = await server.m3m.eventStore.readAll({ fromPosition: before });
      return events.filter(
        (e) => e.type === 'GoalIncremented' && (e.data as { projectId: string }).projectId === project.id,
      );
    };
    return { project, increment, incrementMany };
  }

  const listener = (projectId: string, slug: string, source: string, events = ['GoalIncremented']) =>
    createWorker(server, root, projectId, { name: slug, slug, triggers: { events } }, source);

  beforeAll(async () => {
    server = await startTestServer({
      env: { M3M_EVENT_MAX_ATTEMPTS: '3', M3M_EVENT_DEPTH_LIMIT: '4' },
      open: { subscriber: { retryBaseMs: 20, retryMaxMs: 100, pollMs: 20 } },
    });
    root = await server.signInAsRoot();
  });
  afterAll(() => server?.close());

  it('a worker subscribed to GoalIncremented runs when a goal is incremented over HTTP, and sees the event', async () => {
    const { project, increment } = await projectWithGoal('shop');
    const other = await projectWithGoal('other-shop');
    const seen = await listener(project.id, 'recorder', onEvent('return event;'));
    const elsewhere = await listener(other.project.id, 'elsewhere', onEvent('return event;'));
    const disabled = await listener(project.id, 'disabled', onEvent('return event;'));
    await expectStatus(
      send(server, 'PATCH', `/api/v1/projects/${project.id}/workers/${disabled.id}`, {
        token: root,
        body: { enabled: false },
      }),
      200,
    );
    const notListening = await listener(project.id, 'deaf', onEvent('return event;'), ['OrderPlaced']);

    const event = await increment(3);
    const [record] = await invocationsAtLeast(seen.id, 1);
    expect(record).toMatchObject({
      trigger: 'event',
      handler: 'onEvent',
      eventId: event.id,
      outcome: 'ok',
      projectId: project.id,
    });
    expect(JSON.parse(record!.resultPreview!)).toEqual({
      id: event.id,
      type: 'GoalIncremented',
      position: event.position,
      data: expect.objectContaining({ by: 3, projectId: project.id, goalId: expect.any(String) }),
      metadata: {
        timestamp: event.metadata.timestamp,
        source: 'api',
        correlationId: event.metadata.correlationId,
        causationId: null,
        depth: 0,
      },
    });
    await server.m3m.triggers.subscriber.waitFor(event.position);
    expect(await deliveries({ eventId: event.id })).toEqual([
      expect.objectContaining({ workerId: seen.id, status: 'succeeded', attempts: 1, lastError: null }),
    ]);
    // Not the worker of another project, not a disabled one, not one listening to another type.
    for (const w of [elsewhere, disabled, notListening]) expect(await invocations(w.id)).toEqual([]);
  });

  it('a failing worker is retried, then recorded failed, while another worker on the same event succeeds and the subscription goes on', async () => {
    const { project, increment, incrementMany } = await projectWithGoal('retry-shop');
    const failing = await listener(
      project.id,
      'failing',
      onEvent("throw new Error('no stock for ' + event.data.by);"),
    );
    const slow = await listener(
      project.id,
      'slow',
      onEvent('const t = Date.now(); while (Date.now() - t < 400) {} return event.data.by;'),
    );
    const fine = await listener(project.id, 'fine', onEvent('return event.data.by;'));

    const [first, second, third] = await incrementMany([1, 2, 3]);
    if (!first || !second || !third) throw new Error('expected three events');

    // The fast worker got all three while the slow one was still busy with them, one at a time.
    const fast = await invocationsAtLeast(fine.id, 3);
    expect(fast.map((r) => r.eventId)).toEqual([first.id, second.id, third.id]);
    const slowRuns = await invocationsAtLeast(slow.id, 3);
    expect(Date.parse(fast[2]!.startedAt)).toBeLessThan(Date.parse(slowRuns[2]!.startedAt));
    expect(slowRuns.map((r) => r.eventId)).toEqual([first.id, second.id, third.id]);

    // Three attempts per event (M3M_EVENT_MAX_ATTEMPTS=3), then failed with the worker's error.
    const failed = await until('three failed deliveries', async () => {
      const list = await deliveries({ workerId: failing.id, status: 'failed' });
      return list.length === 3 && list;
    });
    for (const delivery of failed) {
      expect(delivery).toMatchObject({
        attempts: 3,
        lastError: expect.stringMatching(/^no stock for [123]$/),
      });
    }
    const attempts = await invocations(failing.id);
    expect(attempts).toHaveLength(9);
    for (const e of [first, second, third]) {
      const forEvent = attempts.filter((r) => r.eventId === e.id);
      expect(forEvent.map((r) => r.outcome)).toEqual(['error', 'error', 'error']);
      expect(forEvent[0]!.error?.message).toBe(`no stock for ${(e.data as { by: number }).by}`);
    }
    const ok = await deliveries({ workerId: fine.id });
    expect(ok.map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);

    // Still live: a later event is delivered, and the checkpoint is past all of it.
    const fourth = await increment(4);
    await invocationsAtLeast(fine.id, 4);
    await server.m3m.triggers.subscriber.waitFor(fourth.position);
    const health = await expectStatus(send(server, 'GET', '/health'), 200);
    expect(health.json.runtime).toMatchObject({
      subscriber: { state: 'live', lastError: null, lag: expect.any(Number) },
      scheduler: { state: 'running' },
    });
    await until('failed retries of the fourth event', async () => {
      const d = await server.m3m.readStore
        .collection<DeliveryDoc>(WORKER_DELIVERIES)
        .get(`${failing.id}:${fourth.id}`);
      return d?.status === 'failed';
    });
  });

  it('an emit loop (a worker emitting the type it listens to) stops at the depth limit', async () => {
    const project = await createProject(server, root, 'loop-shop');
    const loop = await createWorker(
      server,
      root,
      project.id,
      { name: 'loop', slug: 'loop', triggers: { events: ['Ping'] } },
      `export default {
        async run() { await m3m.events.emit('Ping', { n: 1 }); },
        async onEvent(event) {
          await m3m.events.emit('Ping', { n: event.data.payload.n + 1 });
          return event.data.depth;
        },
      };`,
    );
    const start = await expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/workers/${loop.id}/run`, {
        token: root,
        body: {},
      }),
      200,
    );
    expect(start.json.outcome).toBe('ok');
    // Depths 1–4 are delivered; handling depth 4 would emit depth 5, which the runtime refuses, so that
    // delivery fails (after its attempts) and the chain ends.
    const failed = await until('the deepest delivery to fail', async () => {
      const [d] = await deliveries({ workerId: loop.id, status: 'failed' });
      return d;
    });
    expect(failed.lastError).toMatch(/event chain too deep: this event would be at depth 5, the limit is 4/);
    const pings = (await server.m3m.eventStore.readStream(`project-events-${project.id}`)).map(
      (e) => (e.data as { depth: number }).depth,
    );
    expect(pings).toEqual([1, 2, 3, 4]);
    const runs = await invocations(loop.id);
    expect(
      runs
        .filter((r) => r.trigger === 'event' && r.outcome === 'ok')
        .map((r) => JSON.parse(r.resultPreview!)),
    ).toEqual([1, 2, 3]);

    // An event already deeper than the limit (e.g. the limit was lowered) is not delivered at all.
    const deep = await server.m3m.eventStore.append(
      `project-events-${project.id}`,
      [
        {
          type: 'Ping',
          data: { projectId: project.id, payload: { n: 99 }, depth: 5 },
          metadata: {
            actorId: null,
            correlationId: 'test',
            causationId: null,
            source: 'system',
            schemaVersion: 1,
            timestamp: new Date().toISOString(),
          },
        },
      ],
      { expectedRevision: 'any' },
    );
    await server.m3m.triggers.subscriber.waitFor(deep.position);
    const [deepEvent] = await server.m3m.eventStore.readAll({ fromPosition: deep.position - 1, limit: 1 });
    expect(await deliveries({ eventId: deepEvent!.id })).toEqual([
      expect.objectContaining({ status: 'skipped', reason: 'depth_limit', attempts: 0 }),
    ]);
    expect((await invocations(loop.id)).filter((r) => r.eventId === deepEvent!.id)).toEqual([]);
  });

  it('after a restart (a new subscriber, same stores) no succeeded delivery is invoked again; one caught in flight is', async () => {
    const { project, increment } = await projectWithGoal('restart-shop');
    const worker = await listener(project.id, 'once', onEvent('return event.data.by;'));
    const delivered = await increment(1);
    await invocationsAtLeast(worker.id, 1);
    const live = server.m3m.triggers.subscriber;
    await live.waitFor(delivered.position);
    await live.stop();

    // While no subscriber runs: an event whose delivery a crashed process had started (in flight) …
    const crashed = await increment(2);
    const now = server.clock.now();
    await server.m3m.readStore.collection<DeliveryDoc>(WORKER_DELIVERIES).insert({
      id: `${worker.id}:${crashed.id}`,
      workerId: worker.id,
      projectId: project.id,
      eventId: crashed.id,
      eventType: crashed.type,
      position: crashed.position,
      status: 'in_flight',
      attempts: 0,
      lastError: null,
      lastInvocationId: null,
      reason: null,
      dueAt: now.getTime() + 60_000,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
    // … and a checkpoint that had not been written past the first event (the crash came before it).
    await server.m3m.readStore
      .collection(RUNTIME_CHECKPOINT)
      .upsert({ id: 'checkpoint', position: delivered.position - 1, updatedAt: now.toISOString() });

    const restarted = subscriber();
    await restarted.start();
    try {
      await restarted.waitFor(crashed.position);
      const runs = await invocationsAtLeast(worker.id, 2);
      expect(runs.map((r) => r.eventId)).toEqual([delivered.id, crashed.id]);
      expect(
        await server.m3m.readStore
          .collection<DeliveryDoc>(WORKER_DELIVERIES)
          .get(`${worker.id}:${crashed.id}`),
      ).toMatchObject({ status: 'succeeded', attempts: 1 });
      // A third instance replaying both from the start again invokes nothing.
      await restarted.stop();
      await server.m3m.readStore
        .collection(RUNTIME_CHECKPOINT)
        .upsert({ id: 'checkpoint', position: delivered.position - 1, updatedAt: now.toISOString() });
      const third = subscriber();
      await third.start();
      await third.waitFor(crashed.position);
      await third.stop();
      expect(await invocations(worker.id)).toHaveLength(2);
    } finally {
      await restarted.stop();
    }
  });

  it('a worker with more deliveries than its lane holds gets them from the durable queue, each once and in order, without holding back another worker', async () => {
    await server.m3m.triggers.subscriber.stop();
    const { project, incrementMany } = await projectWithGoal('burst-shop');
    const busy = await listener(
      project.id,
      'busy',
      onEvent('const t = Date.now(); while (Date.now() - t < 60) {} return event.data.by;'),
    );
    const quick = await listener(project.id, 'quick', onEvent('return event.data.by;'));
    const small = subscriber({ maxQueuePerWorker: 2 });
    await small.start();
    try {
      const events = await incrementMany([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(events).toHaveLength(10);
      const busyRuns = await invocationsAtLeast(busy.id, 10);
      expect(busyRuns.map((r) => r.eventId)).toEqual(events.map((e) => e.id));
      const quickRuns = await invocationsAtLeast(quick.id, 10);
      expect(Date.parse(quickRuns[9]!.startedAt)).toBeLessThan(Date.parse(busyRuns[9]!.startedAt));
      await small.waitFor(events[9]!.position);
      expect(small.status().delivered.deferred).toBeGreaterThan(0);
      expect(await small.backlog()).toBe(0);
      // Outcomes are written a turn after their invocation, with the others of that turn.
      const done = await until('every delivery recorded', async () => {
        const list = await deliveries({ workerId: busy.id });
        return list.every((d) => d.status === 'succeeded') && list;
      });
      expect(done.map((d) => [d.status, d.attempts])).toEqual(Array(10).fill(['succeeded', 1]));
      expect(await invocations(busy.id)).toHaveLength(10);
    } finally {
      await small.stop();
    }
  });

  it('a delivery whose claim lapsed (its process died mid-invocation, checkpoint already past) is taken over by the poll', async () => {
    const { project, increment } = await projectWithGoal('orphan-shop');
    const worker = await listener(project.id, 'orphan', onEvent('return event.data.by;'));
    const event = await increment(5);
    const past = server.clock.now().getTime() - 1000;
    await server.m3m.readStore.collection<DeliveryDoc>(WORKER_DELIVERIES).insert({
      id: `${worker.id}:${event.id}`,
      workerId: worker.id,
      projectId: project.id,
      eventId: event.id,
      eventType: event.type,
      position: event.position,
      status: 'in_flight',
      attempts: 1,
      lastError: null,
      lastInvocationId: null,
      reason: null,
      dueAt: past,
      createdAt: new Date(past).toISOString(),
      updatedAt: new Date(past).toISOString(),
    });
    await server.m3m.readStore
      .collection(RUNTIME_CHECKPOINT)
      .upsert({ id: 'checkpoint', position: event.position, updatedAt: new Date().toISOString() });
    const recovering = subscriber();
    await recovering.start();
    try {
      await recovering.pollNow();
      const [run] = await invocationsAtLeast(worker.id, 1);
      expect(run?.eventId).toBe(event.id);
      await until('the delivery to succeed', async () => {
        const d = await server.m3m.readStore
          .collection<DeliveryDoc>(WORKER_DELIVERIES)
          .get(`${worker.id}:${event.id}`);
        return d?.status === 'succeeded' && d.attempts === 2;
      });
      await recovering.pollNow();
      expect(await invocations(worker.id)).toHaveLength(1);
    } finally {
      await recovering.stop();
    }
  });

  it('a failing subscription is resubscribed from the checkpoint with backoff, and reported meanwhile', async () => {
    const { project, increment } = await projectWithGoal('flaky-store');
    const worker = await listener(project.id, 'after-outage', onEvent('return event.data.by;'));
    await server.m3m.triggers.subscriber.stop();
    let failuresLeft = 2;
    const store = server.m3m.eventStore;
    const flaky: EventStore = {
      append: (...args) => store.append(...args),
      readStream: (...args) => store.readStream(...args),
      readEvent: (...args) => store.readEvent(...args),
      readPositions: (...args) => store.readPositions(...args),
      readAll: (...args) => store.readAll(...args),
      headPosition: () => store.headPosition(),
      close: () => store.close(),
      subscribeAll: (options) =>
        failuresLeft-- > 0
          ? new Observable<RecordedEvent>((subscriber) =>
              subscriber.error(new Error('connection reset by peer')),
            )
          : store.subscribeAll(options),
    };
    const recovering = subscriber({ eventStore: flaky, resubscribeBackoff: { initialMs: 100, maxMs: 200 } });
    await recovering.start();
    try {
      await expect
        .poll(() => recovering.status())
        .toMatchObject({ state: 'retrying', lastError: 'connection reset by peer' });
      const event = await increment(7);
      await recovering.waitFor(event.position);
      expect(recovering.status().state).toBe('live');
      expect(failuresLeft).toBe(-1);
      const [run] = await invocationsAtLeast(worker.id, 1);
      expect(run?.eventId).toBe(event.id);
    } finally {
      await recovering.stop();
    }
  });

  it('a retried delivery reads its event again by stream and revision, on a store whose positions are byte offsets', async () => {
    const { project, increment } = await projectWithGoal('offsets-shop');
    const worker = await listener(
      project.id,
      'second-time-lucky',
      onEvent(`const seen = m3m.models.collection('seen');
if (!(await seen.findOne(event.id))) {
  await seen.insert({ id: event.id });
  throw new Error('not this time');
}
return event.data.by;`),
    );
    await server.m3m.triggers.subscriber.stop();
    // KurrentDB-like positions: the position before an event's is inside the previous record.
    const stride = 1024;
    const offsets = withSparsePositions(server.m3m.eventStore, stride);
    const checkpoints = server.m3m.readStore.collection(RUNTIME_CHECKPOINT);
    const unscaled = (await checkpoints.get('checkpoint'))?.position as number;
    await checkpoints.upsert({ id: 'checkpoint', position: await offsets.headPosition(), updatedAt: '' });
    const onOffsets = subscriber({
      eventStore: offsets,
      readModelsAt: (position) => server.m3m.runner.waitFor(position / stride),
    });
    await onOffsets.start();
    try {
      const event = await increment(4);
      const done = await until('the retried delivery to succeed', async () => {
        const d = await server.m3m.readStore
          .collection<DeliveryDoc>(WORKER_DELIVERIES)
          .get(`${worker.id}:${event.id}`);
        return d && d.status !== 'in_flight' && d.status !== 'queued' && d;
      });
      expect(done).toMatchObject({
        status: 'succeeded',
        attempts: 2,
        streamId: event.streamId,
        revision: event.revision,
        position: event.position * stride,
      });
      const runs = await invocationsAtLeast(worker.id, 2);
      expect(runs.map((r) => [r.eventId, r.outcome])).toEqual([
        [event.id, 'error'],
        [event.id, 'ok'],
      ]);
    } finally {
      await onOffsets.stop();
      await checkpoints.upsert({
        id: 'checkpoint',
        position: Math.max(unscaled, await server.m3m.eventStore.headPosition()),
        updatedAt: '',
      });
    }
  });

  it('a delivery recorded without stream and revision (by an older m3m) gets them at start, then runs', async () => {
    const { project, increment } = await projectWithGoal('legacy-shop');
    const worker = await listener(project.id, 'legacy', onEvent('return event.data.by;'));
    await server.m3m.triggers.subscriber.stop();
    const event = await increment(6);
    const past = server.clock.now().getTime() - 1000;
    await server.m3m.readStore.collection<DeliveryDoc>(WORKER_DELIVERIES).insert({
      id: `${worker.id}:${event.id}`,
      workerId: worker.id,
      projectId: project.id,
      eventId: event.id,
      eventType: event.type,
      position: event.position,
      status: 'queued',
      attempts: 1,
      lastError: 'failed before the upgrade',
      lastInvocationId: null,
      reason: null,
      dueAt: past,
      createdAt: new Date(past).toISOString(),
      updatedAt: new Date(past).toISOString(),
    });
    await server.m3m.readStore
      .collection(RUNTIME_CHECKPOINT)
      .upsert({ id: 'checkpoint', position: event.position, updatedAt: new Date().toISOString() });
    const upgraded = subscriber();
    await upgraded.start();
    try {
      const done = await until('the legacy delivery to succeed', async () => {
        const d = await server.m3m.readStore
          .collection<DeliveryDoc>(WORKER_DELIVERIES)
          .get(`${worker.id}:${event.id}`);
        return d?.status === 'succeeded' && d;
      });
      expect(done).toMatchObject({ attempts: 2, streamId: event.streamId, revision: event.revision });
      const [run] = await invocationsAtLeast(worker.id, 1);
      expect(run?.eventId).toBe(event.id);
    } finally {
      await upgraded.stop();
    }
  });

  /** Another subscriber on the server's stores, as after a restart. */
  function subscriber(overrides: Partial<RuntimeSubscriberOptions> = {}): RuntimeSubscriber {
    const { m3m } = server;
    return new RuntimeSubscriber({
      eventStore: m3m.eventStore,
      readStore: m3m.readStore,
      clock: m3m.clock,
      invoke: (request) => invokeWorker(m3m.workers, request),
      readModelsAt: (position) => m3m.runner.waitFor(position),
      maxAttempts: 3,
      depthLimit: 4,
      retryBaseMs: 20,
      pollMs: 20,
      ...overrides,
    });
  }
});
