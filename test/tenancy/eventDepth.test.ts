import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAll } from '../../application/ports/findAll.ts';
import type { InvocationRecord } from '../../application/runtime/invocations.ts';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Issue 12, item 2: a worker triggered by GoalIncremented that increments the same goal ran for ever, because
 * built-in events started at depth 0. Every event a worker causes now carries its causation depth, and the
 * chain stops at M3M_EVENT_DEPTH_LIMIT with the cut recorded where the user reads it.
 */
describe('event loops through built-in events end at the depth limit', () => {
  let server: TestServer;
  let root: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { M3M_EVENT_DEPTH_LIMIT: '4' } });
    root = await server.signInAsRoot();
  });
  afterAll(() => server?.close());

  const invocations = (workerId: string) =>
    findAll(server.m3m.readStore.collection<InvocationRecord>('worker_invocations'), { workerId });

  it('a worker that increments the goal whose increments trigger it runs depth limit + 1 times, then the cut is a skipped delivery', async () => {
    const project = await createProject(server, root, 'looping');
    await expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/goals`, {
        token: root,
        body: { slug: 'hits', name: 'Hits', type: 'counter' },
      }),
      201,
    );
    const worker = await createWorker(
      server,
      root,
      project.id,
      { name: 'Loop', slug: 'loop', triggers: { events: ['GoalIncremented'] } },
      `export default {
        async onEvent(event) {
          await m3m.goals.increment('hits');
          return event.metadata.depth;
        },
      };`,
    );
    await expectStatus(
      send(server, 'POST', '/api/v1/goals/looping-hits/increment', {
        headers: { 'x-api-key': project.apiKey },
        body: {},
      }),
      200,
    );

    // The increment over HTTP is depth 0; the worker's increments are depths 1…5. Depth 5 is past the limit.
    const deadline = Date.now() + 15_000;
    let skipped: Array<Record<string, unknown>> = [];
    while (skipped.length === 0) {
      if (Date.now() > deadline) throw new Error('no skipped delivery');
      const page = await expectStatus(
        send(server, 'GET', `/api/v1/projects/${project.id}/workers/${worker.id}/deliveries?status=skipped`, {
          token: root,
        }),
        200,
      );
      skipped = page.json.items as Array<Record<string, unknown>>;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(skipped).toEqual([
      expect.objectContaining({
        eventType: 'GoalIncremented',
        status: 'skipped',
        reason: 'depth_limit',
        attempts: 0,
        lastError: expect.stringMatching(/depth 5 is over the limit of 4 \(M3M_EVENT_DEPTH_LIMIT\)/),
      }),
    ]);
    // Nothing runs after the cut, and the goal counted every increment (the write is kept, the chain ends).
    await server.m3m.triggers.subscriber.waitFor(await server.m3m.eventStore.headPosition());
    await new Promise((resolve) => setTimeout(resolve, 300));
    const runs = await invocations(worker.id);
    expect(runs.map((r) => JSON.parse(r.resultPreview!)).sort()).toEqual([0, 1, 2, 3, 4]);
    const increments = (await server.m3m.eventStore.readAll({ fromPosition: 0 })).filter(
      (e) => e.type === 'GoalIncremented' && (e.data as { projectId: string }).projectId === project.id,
    );
    expect(increments.map((e) => e.metadata.depth ?? 0)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(increments.slice(1).every((e) => e.metadata.source === `worker:${worker.id}`)).toBe(true);

    const all = await expectStatus(
      send(server, 'GET', `/api/v1/projects/${project.id}/workers/${worker.id}/deliveries`, { token: root }),
      200,
    );
    expect((all.json.items as Array<{ status: string }>).map((d) => d.status).sort()).toEqual([
      'skipped',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
  });
});
