import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Issue 12, item 4: a dictionary bomb in an 8 MB isolate makes V8 fail in a way that takes the runtime process
 * down; another project's invocation running in that process at that moment was lost as `crashed`. An invocation
 * lost to a crash it did not cause is now run again once, and says so in its log. One runtime process here, so
 * that the two projects share it (blastRadius.test.ts has them in processes of their own).
 */
describe('an invocation lost to a crash another project caused is retried once', () => {
  let server: TestServer;
  let root: string;

  beforeAll(async () => {
    server = await startTestServer({
      env: { M3M_WORKER_CPU_MS: '5000', M3M_WORKER_WALL_MS: '10000', M3M_RUNTIME_PROCESSES: '1' },
    });
    root = await server.signInAsRoot();
  });
  afterAll(() => server?.close());

  it("a bystander's run survives the bomb: outcome ok, one line in its log says it ran again", async () => {
    const attacker = await createProject(server, root, 'bomber');
    const victim = await createProject(server, root, 'victim');
    const bomb = await createWorker(
      server,
      root,
      attacker.id,
      { name: 'Bomb', slug: 'bomb', limits: { memoryMb: 8 } },
      'export default { run() { const o = {}; for (let i = 0; ; i++) o["k" + i] = i; } };',
    );
    const slow = await createWorker(
      server,
      root,
      victim.id,
      { name: 'Slow', slug: 'slow' },
      'export default { run() { const t = Date.now(); while (Date.now() - t < 4000) {} return "done"; } };',
    );
    const run = (projectId: string, workerId: string) =>
      expectStatus(
        send(server, 'POST', `/api/v1/projects/${projectId}/workers/${workerId}/run`, {
          token: root,
          body: {},
        }),
        200,
      );

    // V8 does not fail the same way every time: try until the bomb takes the runtime process down.
    for (let attempt = 0; attempt < 5; attempt++) {
      const restarts = server.m3m.sandbox.status().restarts;
      const victimRun = run(victim.id, slow.id);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const bombed = await run(attacker.id, bomb.id);
      const survived = await victimRun;
      if (server.m3m.sandbox.status().restarts === restarts) continue; // contained in the isolate this time
      expect(bombed.json.outcome, JSON.stringify([bombed.json, survived.json])).toBe('memory_limit');
      expect(survived.json, JSON.stringify([bombed.json, survived.json])).toMatchObject({
        outcome: 'ok',
        result: 'done',
      });
      expect(survived.json.logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: expect.stringMatching(
            /^run again: the first attempt was lost to a crash another worker's invocation caused/,
          ),
        }),
      );
      return;
    }
    throw new Error('the bomb never took the runtime process down: nothing to retry');
  });
});
