import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../kit/cli.ts';
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

  it('shows on each entry the fields the event changed, before and after, secrets redacted', async () => {
    const page = await send(server, 'GET', `/api/v1/projects/${projectId}/audit?limit=500`, { token: root });
    expect(page.status, page.text).toBe(200);
    const items = page.json.items as {
      type: string;
      changes: { field: string; before: unknown; after: unknown }[] | null;
    }[];
    const renamed = items.find((e) => e.type === 'ProjectRenamed')!;
    expect(renamed.changes).toEqual([{ field: 'name', before: 'Before', after: 'After' }]);
    const created = items.find((e) => e.type === 'ProjectCreated')!;
    expect(created.changes!.find((c) => c.field === 'name')).toEqual({
      field: 'name',
      before: '',
      after: 'Before',
    });
    const variable = items.find((e) => e.type === 'EnvVariableSet')!;
    expect(variable.changes!.length).toBeGreaterThan(0);
    expect(variable.changes!.every((c) => c.field.startsWith('variables.TOKEN'))).toBe(true);
    expect(page.text).not.toContain(SECRET);
    const signIn = await send(server, 'GET', '/api/v1/admin/audit?type=UserSignedIn&limit=1', {
      token: root,
    });
    expect((signIn.json.items as { changes: unknown }[])[0]!.changes).toBeNull();
  });

  it('tells the difference between two moments of an entity, over HTTP and in the CLI', async () => {
    const diff = await send(
      server,
      'GET',
      `/api/v1/admin/audit/diff?stream=project-${projectId}&from=${renamedAt}`,
      { token: root },
    );
    expect(diff.status, diff.text).toBe(200);
    expect(diff.json).toMatchObject({
      entity: 'project',
      from: { position: expect.any(Number) },
      to: { type: 'ProjectRenamed' },
      changes: [{ field: 'name', before: 'Before', after: 'After' }],
    });
    const none = await send(
      server,
      'GET',
      `/api/v1/admin/audit/diff?stream=project-${projectId}&from=${renamedAt}&to=${renamedAt}`,
      { token: root },
    );
    expect(none.json.changes).toEqual([]);
    const bad = await send(server, 'GET', `/api/v1/admin/audit/diff?stream=project-${projectId}&from=soon`, {
      token: root,
    });
    expect((bad.json.errors as { field: string }[]).map((e) => e.field)).toEqual(['querystring.from']);
    const user = await server.createUser(root, { email: 'differ@example.com' });
    const denied = await send(server, 'GET', `/api/v1/admin/audit/diff?stream=project-${projectId}&from=1`, {
      token: user.token,
    });
    expect(denied.status).toBe(403);

    const env = { M3M_DATA_DIR: server.dataDir };
    const cliDiff = await runCli(['audit', 'diff', `project-${projectId}`, '--from', String(renamedAt)], env);
    expect(cliDiff.code, cliDiff.stderr).toBe(0);
    expect(cliDiff.stdout).toContain('name: "Before" → "After"');
    const envDiff = await runCli(['audit', 'diff', `environment-${projectId}`, '--from', '0', '--json'], env);
    expect(envDiff.stdout).not.toContain(SECRET);
    expect(envDiff.stdout).toContain('[redacted]');
  });

  it('prints an entity as of a moment with `m3m audit state`', async () => {
    const env = { M3M_DATA_DIR: server.dataDir };
    const then = await runCli(['audit', 'state', `project-${projectId}`, '--at', String(renamedAt)], env);
    expect(then.code, then.stderr).toBe(0);
    expect((JSON.parse(then.stdout) as { state: { name: string } }).state.name).toBe('Before');
    const now = await runCli(['audit', 'state', `project-${projectId}`], env);
    const api = await send(server, 'GET', `/api/v1/admin/audit/state?stream=project-${projectId}`, {
      token: root,
    });
    expect(JSON.parse(now.stdout)).toEqual(api.json);
    const unknown = await runCli(['audit', 'state', 'sign-ins-unknown'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unsupported_stream');
    const bad = await runCli(['audit', 'state', `project-${projectId}`, '--at', 'later'], env);
    expect(bad.code).toBe(2);
  });
});
