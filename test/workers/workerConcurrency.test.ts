import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAll } from '../../application/ports/findAll.ts';
import { projectEventsStream } from '../../application/runtime/customEvents.ts';
import { type DeliveryDoc, WORKER_DELIVERIES } from '../../application/runtime/deliveries.ts';
import type { InvocationRecord } from '../../application/runtime/invocations.ts';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * A worker's `limits.concurrency` end to end: the real SQLite stores, the server's runtime subscriber, the real
 * sandbox. The worker waits 40 ms inside each invocation (an awaited timer, which the runtime process serves),
 * so deliveries that run at once overlap in time; the invocation records say when each started and how long it
 * took.
 */
describe('worker concurrency', () => {
  let server: TestServer;
  let root: string;
  let projectId: string;

  const sleeper = `export default {
  async onEvent(event) {
    await new Promise((resolve) => setTimeout(resolve, 40));
    return event.data.n;
  },
};
`;

  /** Appends `count` events of `type` for the project in one append; their ids, in order. */
  async function burst(type: string, count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => randomUUID());
    await server.m3m.eventStore.append(
      projectEventsStream(projectId),
      ids.map((id, n) => ({
        id,
        type,
        data: { projectId, n },
        metadata: {
          actorId: null,
          correlationId: id,
          causationId: null,
          source: 'system' as const,
          schemaVersion: 1,
          timestamp: new Date().toISOString(),
        },
      })),
      { expectedRevision: 'any' },
    );
    return ids;
  }

  async function runsOf(workerId: string, count: number): Promise<InvocationRecord[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const runs = await findAll(
        server.m3m.readStore.collection<InvocationRecord>('worker_invocations'),
        { workerId },
        { startedAt: 1 },
      );
      if (runs.length >= count) return runs;
      if (Date.now() > deadline) throw new Error(`${runs.length} of ${count} invocations of ${workerId}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /**
   * The most invocations that were running at the same moment. `startedAt` has millisecond resolution (cut, not
   * rounded), and an in-order delivery handed to the runtime process ahead of its turn starts there within the
   * millisecond its predecessor ends: a run is taken to end a millisecond early.
   */
  function mostAtOnce(runs: InvocationRecord[]): number {
    const edges = runs.flatMap((r) => {
      const start = Date.parse(r.startedAt);
      return [
        [start, 1],
        [start + r.durationMs - 1, -1],
      ] as const;
    });
    edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let most = 0;
    for (const [, step] of edges) {
      now += step;
      most = Math.max(most, now);
    }
    return most;
  }

  beforeAll(async () => {
    server = await startTestServer();
    root = await server.signInAsRoot();
    projectId = (await createProject(server, root, 'lanes')).id;
  });
  afterAll(() => server?.close());

  it('by default a worker gets its events one at a time, in order', async () => {
    const worker = await createWorker(
      server,
      root,
      projectId,
      { name: 'ordered', slug: 'ordered', triggers: { events: ['Queued'] } },
      sleeper,
    );
    expect(worker.limits).toEqual({});
    expect(
      (worker as unknown as { effectiveLimits: { concurrency: number } }).effectiveLimits.concurrency,
    ).toBe(1);
    const ids = await burst('Queued', 12);
    const runs = await runsOf(worker.id, 12);
    expect(runs.map((r) => r.eventId)).toEqual(ids);
    expect(mostAtOnce(runs)).toBe(1);
  });

  it('with concurrency 8 its deliveries run in parallel, each once', async () => {
    const worker = await createWorker(
      server,
      root,
      projectId,
      { name: 'parallel', slug: 'parallel', triggers: { events: ['Fanned'] }, limits: { concurrency: 8 } },
      sleeper,
    );
    expect(worker.limits).toEqual({ concurrency: 8 });
    const ids = await burst('Fanned', 24);
    const runs = await runsOf(worker.id, 24);
    expect(new Set(runs.map((r) => r.eventId))).toEqual(new Set(ids));
    expect(runs).toHaveLength(24);
    expect(mostAtOnce(runs)).toBeGreaterThan(2);
    expect(mostAtOnce(runs)).toBeLessThanOrEqual(8);
    // Outcomes are written a turn after their invocation, with the others of that turn.
    let deliveries: DeliveryDoc[] = [];
    for (let i = 0; i < 200; i++) {
      deliveries = await findAll(server.m3m.readStore.collection<DeliveryDoc>(WORKER_DELIVERIES), {
        workerId: worker.id,
      });
      if (deliveries.every((d) => d.status === 'succeeded')) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(deliveries.map((d) => [d.status, d.attempts])).toEqual(Array(24).fill(['succeeded', 1]));
  });

  it('the setting is recorded in the worker events, and refused outside 1..M3M_WORKER_MAX_CONCURRENCY naming the field', async () => {
    const worker = await createWorker(server, root, projectId, {
      name: 'tuned',
      slug: 'tuned',
      triggers: { events: ['Tuned'] },
    });
    const path = `/api/v1/projects/${projectId}/workers/${worker.id}`;
    for (const concurrency of [0, 9, 1.5, '2']) {
      const refused = await send(server, 'PATCH', path, { token: root, body: { limits: { concurrency } } });
      expect(refused.status, JSON.stringify(concurrency)).toBe(400);
      const errors = (refused.json as { errors?: { field: string }[] }).errors ?? [];
      expect(errors.map((e) => e.field)).toContain('body.limits.concurrency');
    }
    const changed = await expectStatus(
      send(server, 'PATCH', path, { token: root, body: { limits: { concurrency: 4 } } }),
      200,
    );
    expect((changed.json as { limits: unknown }).limits).toEqual({ concurrency: 4 });
    const events = await server.m3m.eventStore.readStream(`worker-${worker.id}`);
    expect(events.at(-1)).toMatchObject({ type: 'WorkerUpdated', data: { limits: { concurrency: 4 } } });
  });
});
