import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAll } from '../../application/ports/findAll.ts';
import { type DeliveryDoc, WORKER_DELIVERIES } from '../../application/runtime/deliveries.ts';
import type { InvocationRecord } from '../../application/runtime/invocations.ts';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Issue 12, item 7: a worker that always ran to its CPU limit took a core for ever, starved the well-behaved
 * workers of its project, and /health said ok with the subscriber paused. Now each worker has a CPU budget per
 * minute (then it waits), a circuit breaker suspends one whose invocations keep hitting limits (visible on the
 * worker and in its logs; resumed by the user or after a cool-down), and /health turns degraded when a consumer
 * lags or is paused.
 */
describe('CPU budget, circuit breaker and health', () => {
  let server: TestServer;
  let root: string;

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        M3M_WORKER_CPU_MS: '200',
        M3M_WORKER_CPU_BUDGET_MS: '400',
        M3M_WORKER_BREAKER_THRESHOLD: '3',
        M3M_WORKER_COOL_DOWN_MS: '60000',
        M3M_HEALTH_MAX_LAG: '20',
      },
      open: { subscriber: { retryBaseMs: 20, retryMaxMs: 100, pollMs: 20 } },
    });
    root = await server.signInAsRoot();
  });
  afterAll(() => server?.close());

  const runOf = (projectId: string, workerId: string) =>
    send(server, 'POST', `/api/v1/projects/${projectId}/workers/${workerId}/run`, { token: root, body: {} });
  const workerOf = async (projectId: string, workerId: string) =>
    (
      await expectStatus(
        send(server, 'GET', `/api/v1/projects/${projectId}/workers/${workerId}`, { token: root }),
        200,
      )
    ).json;

  it('a worker whose runs keep hitting their limits is suspended (reason on the worker and in its log), refused meanwhile, and resumed by its owner', async () => {
    const project = await createProject(server, root, 'spinner');
    const spin = await createWorker(
      server,
      root,
      project.id,
      { name: 'Spin', slug: 'spin', limits: { cpuMs: 50 } },
      'export default { run() { for (;;) {} } };',
    );
    for (let i = 0; i < 3; i++) {
      const ran = await expectStatus(runOf(project.id, spin.id), 200);
      expect(ran.json.outcome).toBe('cpu_limit');
      if (i === 2) {
        expect(ran.json.logs).toContainEqual(
          expect.objectContaining({
            level: 'error',
            message: expect.stringMatching(
              /^worker suspended until .*: 3 invocations in a row ended at a limit \(the last: cpu_limit\)/,
            ),
          }),
        );
      }
    }
    const refused = await runOf(project.id, spin.id);
    expect(refused.status, refused.text).toBe(409);
    expect(refused.json).toMatchObject({ code: 'worker_suspended' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(50);
    expect((await workerOf(project.id, spin.id)).suspension).toEqual({
      reason: '3 invocations in a row ended at a limit (the last: cpu_limit).',
      since: expect.any(String),
      until: expect.any(String),
    });

    // A member may look but not resume; the owner (root here) resumes it and it runs again.
    const member = await server.createUser(root, { email: 'watcher@example.com', projectIds: [project.id] });
    expect(
      (
        await send(server, 'POST', `/api/v1/projects/${project.id}/workers/${spin.id}/resume`, {
          token: member.token,
        })
      ).status,
    ).toBe(403);
    const resumed = await expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/workers/${spin.id}/resume`, { token: root }),
      200,
    );
    expect(resumed.json.suspension).toBeNull();
    expect((await expectStatus(runOf(project.id, spin.id), 200)).json.outcome).toBe('cpu_limit');
  });

  it('past its CPU budget for the minute a worker waits (429 with Retry-After), without a limit ever being hit', async () => {
    const project = await createProject(server, root, 'burner');
    const burn = await createWorker(
      server,
      root,
      project.id,
      { name: 'Burn', slug: 'burn' },
      'export default { run() { const t = Date.now(); while (Date.now() - t < 120) {} return 1; } };',
    );
    let throttled: Awaited<ReturnType<typeof runOf>> | null = null;
    for (let i = 0; i < 10 && !throttled; i++) {
      const ran = await runOf(project.id, burn.id);
      if (ran.status === 429) throttled = ran;
      else expect(ran.json.outcome).toBe('ok');
    }
    expect(throttled, 'never throttled').not.toBeNull();
    expect(throttled!.json).toMatchObject({
      code: 'worker_throttled',
      detail: expect.stringMatching(/CPU budget of 400 ms per minute \(M3M_WORKER_CPU_BUDGET_MS\)/),
    });
    const wait = Number(throttled!.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    // Not suspended: only limits count for the breaker.
    expect((await workerOf(project.id, burn.id)).suspension).toBeNull();
  });

  it('a hog subscribed to GoalIncremented is suspended and its deliveries wait (not failed); a well-behaved worker of the same project gets every event', async () => {
    const project = await createProject(server, root, 'shared');
    await expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/goals`, {
        token: root,
        body: { slug: 'hits', name: 'Hits', type: 'counter' },
      }),
      201,
    );
    const hog = await createWorker(
      server,
      root,
      project.id,
      { name: 'Hog', slug: 'hog', triggers: { events: ['GoalIncremented'] }, limits: { cpuMs: 50 } },
      'export default { onEvent() { for (;;) {} } };',
    );
    const nice = await createWorker(
      server,
      root,
      project.id,
      { name: 'Nice', slug: 'nice', triggers: { events: ['GoalIncremented'] } },
      'export default { onEvent(e) { return e.id; } };',
    );
    for (let i = 0; i < 8; i++) {
      await expectStatus(
        send(server, 'POST', '/api/v1/goals/shared-hits/increment', {
          headers: { 'x-api-key': project.apiKey },
          body: {},
        }),
        200,
      );
    }
    const deadline = Date.now() + 20_000;
    const records = (workerId: string) =>
      findAll(server.m3m.readStore.collection<InvocationRecord>('worker_invocations'), { workerId });
    while ((await records(nice.id)).filter((r) => r.outcome === 'ok').length < 8) {
      if (Date.now() > deadline) throw new Error('the well-behaved worker did not get its 8 events');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    while (!(await workerOf(project.id, hog.id)).suspension) {
      if (Date.now() > deadline) throw new Error('the hog was not suspended');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await server.m3m.triggers.subscriber.waitFor(await server.m3m.eventStore.headPosition(), 20_000);
    const hogRuns = await records(hog.id);
    expect(hogRuns.length).toBeGreaterThanOrEqual(3);
    expect(hogRuns.length).toBeLessThanOrEqual(4);
    const deliveries = await findAll(server.m3m.readStore.collection<DeliveryDoc>(WORKER_DELIVERIES), {
      workerId: hog.id,
    });
    expect(deliveries).toHaveLength(8);
    expect(deliveries.filter((d) => d.status === 'failed')).toEqual([]);
    expect(deliveries.some((d) => d.status === 'queued' && /^worker_suspended/.test(d.lastError ?? ''))).toBe(
      true,
    );
  });

  it('/health is degraded, with the reason, while the runtime subscriber lags past M3M_HEALTH_MAX_LAG', async () => {
    const health = async () =>
      (await server.request('GET', '/health')).json() as Promise<Record<string, unknown>>;
    expect(await health()).toMatchObject({ status: 'ok' });
    await server.m3m.triggers.subscriber.stop();
    const project = await createProject(server, root, 'laggy');
    await expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/goals`, {
        token: root,
        body: { slug: 'hits', name: 'Hits', type: 'counter' },
      }),
      201,
    );
    for (let i = 0; i < 25; i++) {
      await expectStatus(
        send(server, 'POST', '/api/v1/goals/laggy-hits/increment', {
          headers: { 'x-api-key': project.apiKey },
          body: {},
        }),
        200,
      );
    }
    const report = await health();
    expect(report.status).toBe('degraded');
    expect(report.reasons).toContainEqual(
      expect.stringMatching(
        /^the runtime subscriber lags \d+ behind the event log \(M3M_HEALTH_MAX_LAG 20\)$/,
      ),
    );
  });
});
