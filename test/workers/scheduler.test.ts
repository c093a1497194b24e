import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../application/ports/clock.ts';
import { findAll } from '../../application/ports/findAll.ts';
import type { InvocationRecord } from '../../application/runtime/invocations.ts';
import { invokeWorker } from '../../application/runtime/invokeWorker.ts';
import { SCHEDULE_TICKS, Scheduler, type ScheduleTickDoc } from '../../application/runtime/scheduler.ts';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/** A clock the test sets to any instant. */
class ManualClock implements Clock {
  private current: Date;
  constructor(start: Date) {
    this.current = start;
  }
  now(): Date {
    return new Date(this.current);
  }
  set(iso: string): void {
    this.current = new Date(iso);
  }
}

/**
 * The schedule trigger with an injected clock (no waiting for real minutes), on the real stores and the real
 * sandbox runtime process. The server's own scheduler is off (triggers: false) so only these run.
 */
describe('scheduler', () => {
  let server: TestServer;
  let root: string;
  let projectId: string;

  const invocations = (workerId: string) =>
    findAll(
      server.m3m.readStore.collection<InvocationRecord>('worker_invocations'),
      { workerId },
      { startedAt: 1 },
    );
  const scheduler = (clock: Clock) =>
    new Scheduler({
      readStore: server.m3m.readStore,
      clock,
      run: ({ workerId, projectId, scheduledAt, cron }) =>
        invokeWorker(server.m3m.workers, {
          workerId,
          projectId,
          trigger: { kind: 'schedule', scheduledAt },
          handler: 'scheduled',
          input: { scheduledAt, cron },
        }),
    });
  const cronWorker = (slug: string, cron: string) =>
    createWorker(
      server,
      root,
      projectId,
      { name: slug, slug, triggers: { cron } },
      'export default { async scheduled(tick) { return tick; } };',
    );
  /** The ticks a worker ran for, in tick order (ticks due together run concurrently). */
  const ranTicks = async (workerId: string) =>
    (await invocations(workerId))
      .map((r) => {
        expect(r).toMatchObject({ trigger: 'schedule', handler: 'scheduled', outcome: 'ok' });
        return r.scheduledAt!;
      })
      .sort();

  beforeAll(async () => {
    server = await startTestServer({ triggers: false });
    root = await server.signInAsRoot();
    projectId = (await createProject(server, root, 'cron-shop')).id;
  });
  afterAll(() => server?.close());

  it('a tick runs exactly once, with two schedulers on the same stores and after a restart', async () => {
    const worker = await cronWorker('every-five', '*/5 * * * *');
    const clock = new ManualClock(new Date('2030-01-07T10:05:20Z'));
    const a = scheduler(clock);
    const b = scheduler(clock);
    await Promise.all([a.runDue(), b.runDue(), a.runDue(), b.runDue()]);
    await Promise.all([a.idle(), b.idle()]);
    expect(await ranTicks(worker.id)).toEqual(['2030-01-07T10:05:00.000Z']);
    expect(a.status().ran + b.status().ran).toBe(1);
    expect(a.status().alreadyClaimed + b.status().alreadyClaimed).toBe(1);
    const [invocation] = await invocations(worker.id);
    expect(JSON.parse(invocation!.resultPreview!)).toEqual({
      scheduledAt: '2030-01-07T10:05:00.000Z',
      cron: '*/5 * * * *',
    });
    const [claim] = await findAll(server.m3m.readStore.collection<ScheduleTickDoc>(SCHEDULE_TICKS), {
      workerId: worker.id,
    });
    expect(claim).toMatchObject({
      id: `${worker.id}:2030-01-07T10:05:00.000Z`,
      invocationId: invocation!.id,
      outcome: 'ok',
    });

    // A restarted process in the same minute: already claimed, not run again.
    const restarted = scheduler(clock);
    await restarted.runDue();
    await restarted.idle();
    expect(restarted.status()).toMatchObject({ ran: 0, alreadyClaimed: 1 });

    // Minutes that do not match run nothing; the next matching one runs once.
    for (const iso of ['2030-01-07T10:06:00Z', '2030-01-07T10:09:59Z', '2030-01-07T10:10:01Z']) {
      clock.set(iso);
      await Promise.all([a.runDue(), b.runDue(), restarted.runDue()]);
    }
    await Promise.all([a.idle(), b.idle(), restarted.idle()]);
    expect(await ranTicks(worker.id)).toEqual(['2030-01-07T10:05:00.000Z', '2030-01-07T10:10:00.000Z']);
  });

  it('catches up minutes skipped within its life, but never replays ticks missed while down', async () => {
    const worker = await cronWorker('every-minute', '* * * * *');
    const clock = new ManualClock(new Date('2030-02-01T08:00:30Z'));
    const running = scheduler(clock);
    await running.runDue();
    clock.set('2030-02-01T08:03:05Z'); // the event loop was blocked for three minutes
    await running.runDue();
    await running.idle();
    expect(await ranTicks(worker.id)).toEqual([
      '2030-02-01T08:00:00.000Z',
      '2030-02-01T08:01:00.000Z',
      '2030-02-01T08:02:00.000Z',
      '2030-02-01T08:03:00.000Z',
    ]);
    // Down from 08:04 to 08:09: a new process starts at 08:09 and runs only 08:09.
    clock.set('2030-02-01T08:09:10Z');
    const fresh = scheduler(clock);
    await fresh.runDue();
    await fresh.idle();
    expect((await ranTicks(worker.id)).at(-1)).toBe('2030-02-01T08:09:00.000Z');
    expect(await ranTicks(worker.id)).toHaveLength(5);
  });

  it('runs only enabled, deployed workers with a cron expression', async () => {
    const disabled = await cronWorker('disabled', '0 12 * * *');
    await expectStatus(
      send(server, 'PATCH', `/api/v1/projects/${projectId}/workers/${disabled.id}`, {
        token: root,
        body: { enabled: false },
      }),
      200,
    );
    const undeployed = await createWorker(server, root, projectId, {
      name: 'draft',
      slug: 'draft',
      triggers: { cron: '0 12 * * *' },
    });
    const noon = await cronWorker('noon', '0 12 * * MON-FRI');
    const clock = new ManualClock(new Date('2030-03-01T12:00:00Z')); // a Friday
    const s = scheduler(clock);
    await s.runDue();
    clock.set('2030-03-02T12:00:00Z'); // Saturday: not a tick for noon
    await s.runDue();
    await s.idle();
    expect(await ranTicks(noon.id)).toEqual(['2030-03-01T12:00:00.000Z']);
    expect(await invocations(disabled.id)).toEqual([]);
    expect(await invocations(undeployed.id)).toEqual([]);
  });

  it("the server's scheduler is wired to the server's clock and workers, and reports on /health", async () => {
    const live = await startTestServer();
    try {
      const token = await live.signInAsRoot();
      const project = await createProject(live, token, 'live-cron');
      const worker = await createWorker(
        live,
        token,
        project.id,
        { name: 'm', slug: 'm', triggers: { cron: '* * * * *' } },
        'export default { async scheduled(tick) { return tick.scheduledAt; } };',
      );
      // The scheduler started with the server, before the worker existed. In the next minute (the test
      // clock moves on instead of waiting), its check — the one its minute timer makes — runs it once.
      live.clock.advance(60_000);
      await live.m3m.triggers.scheduler.runDue();
      await live.m3m.triggers.scheduler.runDue();
      await live.m3m.triggers.scheduler.idle();
      const runs = await findAll(live.m3m.readStore.collection<InvocationRecord>('worker_invocations'), {
        workerId: worker.id,
      });
      const minute = new Date(Math.floor(live.clock.now().getTime() / 60_000) * 60_000).toISOString();
      // On a slow machine the real minute may also turn while the worker is created: the server's own
      // minute timer then runs that earlier tick too, which is right. Each tick runs once, the advanced one included.
      const ticks = runs.map((r) => [r.trigger, r.scheduledAt, r.outcome, JSON.parse(r.resultPreview!)]);
      expect(ticks.filter(([, scheduledAt]) => scheduledAt === minute)).toEqual([
        ['schedule', minute, 'ok', minute],
      ]);
      expect(new Set(ticks.map(([, scheduledAt]) => scheduledAt)).size).toBe(ticks.length);
      expect(ticks.length).toBeLessThanOrEqual(2);
      const health = await expectStatus(send(live, 'GET', '/health'), 200);
      expect(health.json.runtime).toMatchObject({ scheduler: { state: 'running', lastError: null } });
    } finally {
      await live.close();
    }
  });
});
