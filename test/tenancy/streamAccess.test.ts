import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { runBody } from '../kit/sandbox.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Issue 12, item 3: an open invocation stream ends, with a final `closed` event saying why, once its viewer
 * loses access — removed from the project, blocked, or their password changed — and sends nothing after.
 */
describe('a live invocation stream outlives no one’s access', () => {
  let server: TestServer;
  let root: string;
  let project: { id: string };
  let workerId: string;

  beforeAll(async () => {
    server = await startTestServer({ streamAccessCheckMs: 200 });
    root = await server.signInAsRoot();
    project = await createProject(server, root, 'watched');
    workerId = (
      await createWorker(server, root, project.id, { name: 'W', slug: 'w' }, runBody('return input;'))
    ).id;
  });
  afterAll(() => server.close());

  const run = (n: number) =>
    expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/workers/${workerId}/run`, {
        token: root,
        body: { input: n },
      }),
      200,
    );

  async function openStream(token: string) {
    const response = await fetch(
      `${server.base}/api/v1/projects/${project.id}/workers/${workerId}/invocations/stream`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let done = false;
    const pump = (async () => {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
      }
      done = true;
    })();
    const until = async (pattern: RegExp, ms = 5000) => {
      const deadline = Date.now() + ms;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`not seen ${pattern}: ${text}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    return { text: () => text, ended: () => done, until, pump };
  }

  async function member(email: string): Promise<{ id: string; token: string; password: string }> {
    const created = await server.createUser(root, { email });
    await expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/members`, {
        token: root,
        body: { userId: created.user.id },
      }),
      200,
    );
    return {
      id: created.user.id,
      token: await server.login(email, created.password),
      password: created.password,
    };
  }

  const cases: [string, (user: { id: string }) => Promise<unknown>, RegExp][] = [
    [
      'removed from the project',
      (user) =>
        expectStatus(
          send(server, 'DELETE', `/api/v1/projects/${project.id}/members/${user.id}`, { token: root }),
          200,
        ),
      /"code":"project_not_found"/,
    ],
    [
      'blocked',
      (user) => expectStatus(send(server, 'POST', `/api/v1/users/${user.id}/block`, { token: root }), 200),
      /"code":"(token_revoked|user_blocked|invalid_token|unauthorized)[a-z_]*"/,
    ],
    [
      'given a new password',
      (user) =>
        expectStatus(
          send(server, 'POST', `/api/v1/admin/users/${user.id}/password`, {
            token: root,
            body: { password: 'another-password-9' },
          }),
          204,
        ),
      /"code":"[a-z_]+"/,
    ],
  ];

  for (const [what, revoke, code] of cases) {
    it(`ends with a closed event once the viewer is ${what}, and sends nothing more`, async () => {
      const viewer = await member(`${what.replaceAll(' ', '-')}@example.com`);
      const stream = await openStream(viewer.token);
      await stream.until(/following invocations/);
      const first = await run(1);
      await stream.until(new RegExp(`id: ${first.json.invocationId}`));
      await revoke(viewer);
      await stream.until(/event: closed\ndata: .*\n\n/);
      expect(stream.text()).toMatch(code);
      await stream.pump;
      expect(stream.ended()).toBe(true);
      const after = await run(2);
      expect(stream.text()).not.toContain(String(after.json.invocationId));
    });
  }
});
