import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../kit/http.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Time travel: an entity as of a position or a time, folded by the domain; at the head it agrees with the live
 * read model, before a change it shows the old value, and secrets stay redacted.
 */
describe('audit time travel', () => {
  let server: TestServer;
  let root: string;
  let projectId: string;
  let renamedAt: number;
  const SECRET = 'time-travel-s3cret';

  beforeAll(async () => {
    server = await startTestServer();
    root = await server.signInAsRoot();
    const created = await send(server, 'POST', '/api/v1/projects', {
      token: root,
      body: { name: 'Before', slug: 'tt' },
    });
    projectId = created.json.id as string;
    await send(server, 'PUT', `/api/v1/projects/${projectId}/environment/TOKEN`, {
      token: root,
      body: { value: SECRET, secret: true },
    });
    renamedAt = await server.headPosition();
    await send(server, 'PATCH', `/api/v1/projects/${projectId}`, { token: root, body: { name: 'After' } });
  });
  afterAll(() => server.close());

  const state = (query: string, token = root) =>
    send(server, 'GET', `/api/v1/admin/audit/state?${query}`, { token });

  it('agrees with the live read model at the head, and shows the old name before the rename', async () => {
    const live = await send(server, 'GET', `/api/v1/projects/${projectId}`, { token: root });
    const head = await state(`stream=project-${projectId}`);
    expect(head.status, head.text).toBe(200);
    expect(head.json).toMatchObject({ entity: 'project', asOf: { type: 'ProjectRenamed' } });
    expect((head.json.state as { name: string }).name).toBe(live.json.name);
    expect(live.json.name).toBe('After');
    const before = await state(`stream=project-${projectId}&at=${renamedAt}`);
    expect((before.json.state as { name: string }).name).toBe('Before');
    const byTime = await state(
      `stream=project-${projectId}&at=${encodeURIComponent((head.json.asOf as { time: string }).time)}`,
    );
    expect((byTime.json.state as { name: string }).name).toBe('After');
    const atStart = await state(`stream=project-${projectId}&at=2000-01-01T00:00:00Z`);
    expect(atStart.json.asOf).toBeNull();
  });

  it('redacts secrets and hashes in the state', async () => {
    const env = await state(`stream=environment-${projectId}`);
    expect(env.status).toBe(200);
    expect(env.text).not.toContain(SECRET);
    expect(env.text).toContain('[redacted]');
    const project = await state(`stream=project-${projectId}`);
    const events = await server.m3m.eventStore.readStream(`project-${projectId}`);
    const hash = (events[0]!.data as { apiKey: { hash: string } }).apiKey.hash;
    expect(project.text).not.toContain(hash);
  });

  it('refuses a stream it cannot fold, a bad moment, and anyone but global admins', async () => {
    const unknown = await state('stream=sign-ins-unknown');
    expect(unknown.status).toBe(400);
    expect((unknown.json.errors as { field: string; code: string }[])[0]).toMatchObject({
      field: 'querystring.stream',
      code: 'unsupported_stream',
    });
    const bad = await state(`stream=project-${projectId}&at=yesterday`);
    expect((bad.json.errors as { field: string }[]).map((e) => e.field)).toEqual(['querystring.at']);
    const user = await server.createUser(root, { email: 'plain@example.com' });
    expect((await state(`stream=project-${projectId}`, user.token)).status).toBe(403);
    expect((await state(`stream=project-${projectId}`, '')).status).toBe(401);
  });
});
