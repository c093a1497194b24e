import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Issue 12, item 4: with an 8 MB worker memory limit, a dictionary bomb triggers V8's catastrophic out-of-memory,
 * which ends the whole runtime process and every invocation in it. Projects now run in several runtime processes
 * (M3M_RUNTIME_PROCESSES, default 2), and a project that crashes one is moved to a quarantine process of its own:
 * another project's invocation running at the same moment completes, first time, without being run again.
 */
describe("one project's out-of-memory does not end another project's invocations", () => {
  let server: TestServer;
  let root: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { M3M_WORKER_CPU_MS: '5000', M3M_WORKER_WALL_MS: '10000' } });
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
  const bombSource = 'export default { run() { const o = {}; for (let i = 0; ; i++) o["k" + i] = i; } };';
  const slowSource =
    'export default { run() { const t = Date.now(); while (Date.now() - t < 2500) {} return "done"; } };';
  const pool = () => server.m3m.sandbox;

  /** Runs the bomb while `victim`'s slow run is in flight, until the bomb takes its runtime process down. */
  async function bombBeside(bomber: { projectId: string; workerId: string }, victim: typeof bomber) {
    for (let attempt = 0; attempt < 6; attempt++) {
      const restarts = pool().status().restarts;
      const victimRun = run(victim.projectId, victim.workerId);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const bombed = await run(bomber.projectId, bomber.workerId);
      const survived = await victimRun;
      if (pool().status().restarts === restarts) continue; // contained in the isolate this time
      return { bombed: bombed.json, survived: survived.json };
    }
    throw new Error('the bomb never took its runtime process down');
  }

  it('a bystander in another runtime process completes untouched; the bomber moves to a quarantine process', async () => {
    const victim = await createProject(server, root, 'bystander');
    const attacker = await createProject(server, root, 'bomber');
    const slow = await createWorker(server, root, victim.id, { name: 'Slow', slug: 'slow' }, slowSource);
    const bomb = await createWorker(
      server,
      root,
      attacker.id,
      { name: 'Bomb', slug: 'bomb', limits: { memoryMb: 8 } },
      bombSource,
    );
    await run(victim.id, slow.id);
    expect(pool().processOf(victim.id)).toMatchObject({ role: 'shared', index: 0 });
    const victimPid = pool().processOf(victim.id)!.pid;

    const { bombed, survived } = await bombBeside(
      { projectId: attacker.id, workerId: bomb.id },
      { projectId: victim.id, workerId: slow.id },
    );
    expect(bombed.outcome).toBe('memory_limit');
    expect(survived).toMatchObject({ outcome: 'ok', result: 'done' });
    expect(JSON.stringify(survived.logs)).not.toContain('run again');
    // The victim's runtime process never went down, and the bomber now runs alone.
    expect(pool().processOf(victim.id)).toMatchObject({ role: 'shared', index: 0, pid: victimPid });
    expect(pool().processOf(attacker.id)).toMatchObject({ role: 'quarantine', index: 0 });
    expect(pool().status().quarantined).toEqual([attacker.id]);
  });

  it("a project that shared the bomber's first process is safe from its later bombs", async () => {
    // The bomber's old shared process has the fewest projects now: the next project lands there.
    const later = await createProject(server, root, 'later');
    const slow = await createWorker(server, root, later.id, { name: 'Slow', slug: 'slow' }, slowSource);
    await run(later.id, slow.id);
    expect(pool().processOf(later.id)).toMatchObject({ role: 'shared', index: 1 });
    const laterPid = pool().processOf(later.id)!.pid;
    const attacker = (await send(server, 'GET', '/api/v1/projects', { token: root })).json as {
      items: { id: string; slug: string }[];
    };
    const bomber = attacker.items.find((p) => p.slug === 'bomber')!;
    const bombWorker = (
      (await send(server, 'GET', `/api/v1/projects/${bomber.id}/workers`, { token: root })).json as {
        items: { id: string }[];
      }
    ).items[0]!;

    const { bombed, survived } = await bombBeside(
      { projectId: bomber.id, workerId: bombWorker.id },
      { projectId: later.id, workerId: slow.id },
    );
    expect(bombed.outcome).toBe('memory_limit');
    expect(survived).toMatchObject({ outcome: 'ok', result: 'done' });
    expect(JSON.stringify(survived.logs)).not.toContain('run again');
    expect(pool().processOf(later.id)).toMatchObject({ pid: laterPid });
    expect(pool().processOf(bomber.id)).toMatchObject({ role: 'quarantine', index: 0 });
  });
});
