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
 * sandbox. The worker holds its isolate 40 ms inside each invocation (an awaited timer, which the runtime process
 * serves) and returns when, by its own clock, it began and ended: deliveries that ran at once in the runtime
 * process overlap there. (The record's `startedAt` is taken on the server, before the invocation reaches the
 * runtime process: it cannot tell invocations that ran in parallel from ones handed in together that ran one
 * after another.) A count of its runs in a global says which isolate ran it: each isolate has its own.
 */
describe('worker concurrency', () => {
  let server: TestServer;
  let root: string;
  let projectId: string;

  const sleeper = `let runs = 0;
export default {
  async onEvent(event) {
    runs++;
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 40));
    return { n: event.data.n, runs, from, to: Date.now() };
  },
};
`;

  interface Ran {
    n: number;
    runs: number;
    from: number;
    to: number;
  }
  const ran = (run: InvocationRecord): Ran => JSON.parse(run.resultPreview ?? 'null') as Ran;

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

  /** The most invocations that were running in the runtime process at the same moment, by the worker's clock. */
  function mostAtOnce(runs: InvocationRecord[]): number {
    const edges = runs.flatMap((r) => {
      const { from, to } = ran(r);
      return [
        [from, 1],
        [to, -1],
      ] as const;
    });
    // An end and a start in the same millisecond: the end first (one after the other, not at once).
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
    // One isolate ran them all, in the order of the events.
    expect(runs.map((r) => [ran(r).n, ran(r).runs])).toEqual(ids.map((_, n) => [n, n + 1]));
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
    // Several isolates ran them (each counted its own runs), never more than eight.
    const isolates = (await server.m3m.sandbox.isolates()).filter((i) => i.workerId === worker.id);
    expect(isolates.length).toBeGreaterThan(2);
    expect(isolates.length).toBeLessThanOrEqual(8);
    expect(Math.max(...runs.map((r) => ran(r).runs))).toBeLessThan(24);
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
