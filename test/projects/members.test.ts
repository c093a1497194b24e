import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * The member list of a project with names, and adding a member by email: what an owner who may not read the user
 * directory needs to manage their own project (the admin UI's members card).
 */
describe('project members over HTTP', () => {
  let server: TestServer;
  let root: string;
  let owner: { token: string; id: string };
  let ann: { token: string; id: string };
  let bob: { token: string; id: string };
  let projectId: string;

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await server.request(method, path, { token, body });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  };

  beforeAll(async () => {
    server = await startTestServer();
    root = await server.signInAsRoot();
    const made = async (email: string, name: string, permissions: string[] = []) => {
      const u = await server.createUser(root, { email, name, permissions });
      return { token: u.token, id: u.user.id };
    };
    owner = await made('owner@example.com', 'Olga Owner', ['create_projects']);
    ann = await made('ann@example.com', 'Ann Member');
    bob = await made('bob@example.com', 'Bob Outsider');
    const created = await call('POST', '/api/v1/projects', owner.token, { name: 'Shop', slug: 'shop' });
    expect(created.status).toBe(201);
    projectId = created.json.id;
  });
  afterAll(() => server.close());

  it('lets an owner add a member by email (any case), then lists owner and members by name', async () => {
    const added = await call('POST', `/api/v1/projects/${projectId}/members`, owner.token, {
      email: '  Ann@Example.COM ',
    });
    expect(added.status, JSON.stringify(added.json)).toBe(200);
    expect(added.json.memberIds).toEqual([ann.id]);

    const list = await call('GET', `/api/v1/projects/${projectId}/members`, owner.token);
    expect(list.status).toBe(200);
    expect(list.json.items).toEqual([
      { userId: owner.id, role: 'owner', name: 'Olga Owner', email: 'owner@example.com', avatarUrl: null },
      { userId: ann.id, role: 'member', name: 'Ann Member', email: 'ann@example.com', avatarUrl: null },
    ]);
  });

  it('refuses an unknown email as a 400 naming body.email, and records nothing', async () => {
    const head = await server.headPosition();
    const r = await call('POST', `/api/v1/projects/${projectId}/members`, owner.token, {
      email: 'nobody@example.com',
    });
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([
      { field: 'body.email', code: 'unknown_user', message: expect.any(String) },
    ]);
    expect(await server.headPosition()).toBe(head);
  });

  it('wants exactly one of userId and email', async () => {
    for (const body of [{}, { userId: bob.id, email: 'bob@example.com' }]) {
      const r = await call('POST', `/api/v1/projects/${projectId}/members`, owner.token, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.errors.map((e: { field: string }) => e.field)).toEqual(['body.userId']);
    }
  });

  it('shows the list to global admins, refuses members (403) and hides the project from outsiders (404)', async () => {
    expect((await call('GET', `/api/v1/projects/${projectId}/members`, root)).json.items).toHaveLength(2);
    const member = await call('GET', `/api/v1/projects/${projectId}/members`, ann.token);
    expect(member.status).toBe(403);
    expect(member.json.code).toBe('not_project_manager');
    const outsider = await call('GET', `/api/v1/projects/${projectId}/members`, bob.token);
    expect(outsider.status).toBe(404);
    // An outsider cannot use the email route to learn who has an account either.
    const probe = await call('POST', `/api/v1/projects/${projectId}/members`, bob.token, {
      email: 'ann@example.com',
    });
    expect(probe.status).toBe(404);
  });

  it('keeps a member whose account was deleted in the list, without a name, until the owner removes them', async () => {
    const gone = await server.createUser(root, { email: 'gone@example.com', name: 'Gone Soon' });
    await call('POST', `/api/v1/projects/${projectId}/members`, owner.token, { userId: gone.user.id });
    expect((await call('DELETE', `/api/v1/users/${gone.user.id}`, root)).status).toBeLessThan(300);
    const list = await call('GET', `/api/v1/projects/${projectId}/members`, owner.token);
    const entry = list.json.items.find((m: { userId: string }) => m.userId === gone.user.id);
    expect(entry).toEqual({ userId: gone.user.id, role: 'member', name: null, email: null, avatarUrl: null });
    const removed = await call(
      'DELETE',
      `/api/v1/projects/${projectId}/members/${gone.user.id}`,
      owner.token,
    );
    expect(removed.status).toBe(200);
    const after = await call('GET', `/api/v1/projects/${projectId}/members`, owner.token);
    expect(after.json.items.map((m: { userId: string }) => m.userId)).not.toContain(gone.user.id);
  });
});
