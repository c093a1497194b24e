import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailStream, userStream } from '../../application/identity/streams.ts';
import type { UserJson } from '../../infrastructure/http/routes/identitySchemas.ts';
import { problemOf } from '../kit/http.ts';
import { createProject } from '../kit/projects.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

const USER_KEYS = [
  'avatarUrl',
  'blocked',
  'createdAt',
  'email',
  'id',
  'name',
  'permissions',
  'projectIds',
  'role',
  'updatedAt',
];

describe('user management', () => {
  let server: TestServer;
  let root: string;
  let rootId: string;
  let admin: string;
  let adminId: string;
  let seq = 0;
  /** Real projects: a user's project list holds only projects that exist. */
  let p1: string;
  let alpha: string;
  const email = (label: string) => `${label}-${++seq}@example.com`;

  const get = (token: string, id: string) => server.request('GET', `/api/v1/users/${id}`, { token });
  const patch = (token: string, id: string, body: unknown) =>
    server.request('PATCH', `/api/v1/users/${id}`, { token, body });
  const post = (token: string, path: string, body?: unknown) => server.request('POST', path, { token, body });
  const del = (token: string, path: string) => server.request('DELETE', path, { token });
  const loginStatus = async (address: string, password: string) =>
    (await server.request('POST', '/api/v1/auth/login', { body: { email: address, password } })).status;

  async function expectRefused(response: Response, status: number, code: string) {
    const problem = await problemOf(response);
    expect(response.status, JSON.stringify(problem)).toBe(status);
    expect(problem.code).toBe(code);
  }

  beforeAll(async () => {
    server = await startTestServer();
    rootId = (await server.createAdmin(ROOT.email, ROOT.password)).userId;
    adminId = (await server.createAdmin('admin@example.com', 'admin-password-1')).userId;
    root = await server.login(ROOT.email, ROOT.password);
    admin = await server.login('admin@example.com', 'admin-password-1');
    p1 = (await createProject(server, root, 'p1')).id;
    alpha = (await createProject(server, root, 'alpha')).id;
  });
  afterAll(() => server.close());

  describe('lifecycle', () => {
    it('creates a user who can log in; the JSON never carries a hash', async () => {
      const address = email('new');
      const response = await post(root, '/api/v1/users', {
        email: address.toUpperCase(),
        name: '  Ann  ',
        password: 'ann-password-1',
        permissions: ['create_projects'],
        projectIds: [p1],
      });
      expect(response.status).toBe(201);
      const user = (await response.json()) as UserJson;
      expect(Object.keys(user).sort()).toEqual(USER_KEYS);
      expect(user).toMatchObject({
        email: address,
        name: 'Ann',
        role: 'user',
        permissions: ['create_projects'],
        projectIds: [p1],
        blocked: false,
        avatarUrl: null,
      });
      expect((await (await get(root, user.id)).json()) as UserJson).toEqual(user);
      expect(await loginStatus(address, 'ann-password-1')).toBe(200);
    });

    it('edits name, email, permissions and role; the old email is free again', async () => {
      const { user, password } = await server.createUser(root, { email: email('edit') });
      const newEmail = email('edited');
      const response = await patch(root, user.id, {
        name: 'Edited',
        email: newEmail,
        permissions: ['manage_users'],
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        name: 'Edited',
        email: newEmail,
        permissions: ['manage_users'],
      });
      expect(await loginStatus(user.email, password)).toBe(401);
      expect(await loginStatus(newEmail, password)).toBe(200);
      // The old address can be used by someone else now.
      await server.createUser(root, { email: user.email });

      const promoted = await patch(root, user.id, { role: 'admin' });
      expect(await promoted.json()).toMatchObject({
        role: 'admin',
        permissions: ['create_projects', 'manage_users'],
      });
      const demoted = await patch(root, user.id, { role: 'user' });
      expect(await demoted.json()).toMatchObject({ role: 'user', permissions: ['manage_users'] });
    });

    it('refuses an email another user holds, in any case, and keeps both users as they were', async () => {
      const a = await server.createUser(root, { email: email('holder') });
      const b = await server.createUser(root, { email: email('other') });
      await expectRefused(
        await patch(root, b.user.id, { email: a.user.email.toUpperCase() }),
        409,
        'email_taken',
      );
      await expectRefused(
        await post(root, '/api/v1/users', { email: a.user.email, name: 'Dup', password: 'dup-password-1' }),
        409,
        'email_taken',
      );
      expect(await loginStatus(a.user.email, a.password)).toBe(200);
      expect(await loginStatus(b.user.email, b.password)).toBe(200);
    });

    it('a refused email change gives the reserved address back', async () => {
      const manager = await server.createUser(root, { email: email('mgr'), permissions: ['manage_users'] });
      const target = email('wanted');
      // A manager may not touch a global admin: the reservation made for the new address must be undone…
      await expectRefused(await patch(manager.token, adminId, { email: target }), 403, 'admin_only');
      // …so the address is still free for anyone.
      await server.createUser(root, { email: target });
    });

    it('blocks (no login, 403) and unblocks', async () => {
      const { user, password } = await server.createUser(root, { email: email('block') });
      const blocked = await post(root, `/api/v1/users/${user.id}/block`);
      expect(await blocked.json()).toMatchObject({ blocked: true });
      const login = await server.request('POST', '/api/v1/auth/login', {
        body: { email: user.email, password },
      });
      await expectRefused(login, 403, 'account_blocked');
      expect(await loginStatus(user.email, 'wrong-password-1')).toBe(401);
      const unblocked = await post(root, `/api/v1/users/${user.id}/unblock`);
      expect(await unblocked.json()).toMatchObject({ blocked: false });
      expect(await loginStatus(user.email, password)).toBe(200);
    });

    it('deletes: gone from the API, cannot log in, email reusable', async () => {
      const { user, password } = await server.createUser(root, { email: email('delete') });
      expect((await del(root, `/api/v1/users/${user.id}`)).status).toBe(204);
      await expectRefused(await get(root, user.id), 404, 'user_not_found');
      await expectRefused(await patch(root, user.id, { name: 'Ghost' }), 404, 'user_not_found');
      await expectRefused(await del(root, `/api/v1/users/${user.id}`), 404, 'user_not_found');
      expect(await loginStatus(user.email, password)).toBe(401);
      const again = await server.createUser(root, { email: user.email });
      expect(again.user.id).not.toBe(user.id);
    });

    it('answers 404 for an unknown user', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (const response of [
        await get(root, unknown),
        await patch(root, unknown, { name: 'x' }),
        await post(root, `/api/v1/users/${unknown}/block`),
        await del(root, `/api/v1/users/${unknown}`),
        await post(root, `/api/v1/users/${unknown}/projects`, { projectId: 'p' }),
        await post(root, `/api/v1/admin/users/${unknown}/password`, { password: 'some-password-1' }),
      ]) {
        expect(response.status).toBe(404);
      }
    });

    it('grants and revokes project access; repeating either writes nothing', async () => {
      const { user } = await server.createUser(root, { email: email('grant') });
      const granted = await post(root, `/api/v1/users/${user.id}/projects`, { projectId: alpha });
      expect(await granted.json()).toMatchObject({ projectIds: [alpha] });
      const head = await server.headPosition();
      expect((await post(root, `/api/v1/users/${user.id}/projects`, { projectId: alpha })).status).toBe(200);
      expect(await server.headPosition()).toBe(head);
      const revoked = await del(root, `/api/v1/users/${user.id}/projects/${alpha}`);
      expect(await revoked.json()).toMatchObject({ projectIds: [] });
      const after = await server.headPosition();
      expect((await del(root, `/api/v1/users/${user.id}/projects/${alpha}`)).status).toBe(200);
      expect(await server.headPosition()).toBe(after);
    });

    it('refuses projects that do not exist or were deleted: 404 project_not_found naming the id, nothing recorded', async () => {
      const gone = await createProject(server, root, 'gone-soon');
      expect((await del(root, `/api/v1/projects/${gone.id}`)).status).toBe(400); // needs the slug repeated
      const deleted = await server.request('DELETE', `/api/v1/projects/${gone.id}`, {
        token: root,
        body: { confirm: 'gone-soon' },
      });
      expect(deleted.status).toBe(204);
      const { user } = await server.createUser(root, { email: email('grant-missing') });
      const nowhere = '00000000-0000-4000-8000-00000000beef';
      for (const missing of [nowhere, gone.id]) {
        const before = await server.headPosition();
        const address = email('with-missing');
        const created = await post(root, '/api/v1/users', {
          email: address,
          name: 'With Missing',
          password: 'with-missing-1',
          projectIds: [p1, missing],
        });
        const problem = await problemOf(created);
        expect([created.status, problem.code]).toEqual([404, 'project_not_found']);
        expect(problem.detail).toContain(missing);
        expect(problem.errors).toEqual([
          {
            field: 'body.projectIds.1',
            code: 'project_not_found',
            message: expect.stringContaining(missing),
          },
        ]);
        const granted = await post(root, `/api/v1/users/${user.id}/projects`, { projectId: missing });
        const refused = await problemOf(granted);
        expect([granted.status, refused.code, refused.errors?.[0]?.field]).toEqual([
          404,
          'project_not_found',
          'body.projectId',
        ]);
        expect(await server.headPosition()).toBe(before);
        expect(await loginStatus(address, 'with-missing-1')).toBe(401);
      }
      expect((await (await get(root, user.id)).json()) as UserJson).toMatchObject({ projectIds: [] });
    });

    it('lists users by email, page by page', async () => {
      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
        const response = await server.request('GET', `/api/v1/users${query}`, { token: root });
        expect(response.status).toBe(200);
        const page = (await response.json()) as { items: UserJson[]; nextCursor: string | null };
        expect(page.items.length).toBeLessThanOrEqual(3);
        all.push(...page.items.map((u) => u.email));
        cursor = page.nextCursor;
      } while (cursor);
      expect(all.length).toBeGreaterThan(6);
      expect(all).toEqual([...all].sort());
      expect(new Set(all).size).toBe(all.length);
      expect(all).toContain(ROOT.email);
    });
  });

  describe('the root', () => {
    it('cannot be deleted or blocked, not even by themselves', async () => {
      await expectRefused(await del(admin, `/api/v1/users/${rootId}`), 403, 'root_only');
      await expectRefused(await post(admin, `/api/v1/users/${rootId}/block`), 403, 'root_only');
      await expectRefused(await del(root, `/api/v1/users/${rootId}`), 403, 'self_change');
      await expectRefused(await post(root, `/api/v1/users/${rootId}/block`), 403, 'self_change');
      expect((await server.request('GET', '/api/v1/me', { token: root })).status).toBe(200);
    });

    it('is changed only by the root', async () => {
      await expectRefused(await patch(admin, rootId, { name: 'Not Root' }), 403, 'root_only');
      await expectRefused(
        await post(admin, `/api/v1/admin/users/${rootId}/password`, { password: 'taken-over-1' }),
        403,
        'root_only',
      );
      await expectRefused(
        await post(admin, `/api/v1/users/${rootId}/projects`, { projectId: 'p' }),
        403,
        'root_only',
      );
      const renamed = await patch(root, rootId, { name: 'The Root' });
      expect(await renamed.json()).toMatchObject({ name: 'The Root', role: 'root' });
      await expectRefused(await patch(root, rootId, { role: 'user' }), 403, 'self_change');
    });

    it('is whoever new-admin created first, even when several race', async () => {
      const fresh = await startTestServer();
      try {
        const created = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            fresh.createAdmin(`racer-${i}@example.com`, 'racer-password-1'),
          ),
        );
        expect(created.filter((c) => c.role === 'root')).toHaveLength(1);
        expect(created.filter((c) => c.role === 'admin')).toHaveLength(5);
      } finally {
        await fresh.close();
      }
    });
  });

  describe('escalation is refused', () => {
    let manager: { user: UserJson; token: string };
    /** Projects by name: the manager holds `mine`; `theirs` and `theirs2` are someone else's. */
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      for (const name of ['mine', 'theirs', 'theirs2', 'not-mine'])
        ids[name] = (await createProject(server, root, name)).id;
      manager = await server.createUser(root, {
        email: email('escalator'),
        permissions: ['manage_users'],
        projectIds: [ids.mine!],
      });
    });

    it('a manager cannot create a global admin or grant what they do not hold', async () => {
      const body = { email: email('x'), name: 'X', password: 'x-password-12' };
      const head = await server.headPosition();
      await expectRefused(
        await post(manager.token, '/api/v1/users', { ...body, role: 'admin' }),
        403,
        'admin_only',
      );
      await expectRefused(
        await post(manager.token, '/api/v1/users', { ...body, permissions: ['create_projects'] }),
        403,
        'permission_not_held',
      );
      await expectRefused(
        await post(manager.token, '/api/v1/users', { ...body, projectIds: [ids['not-mine']!] }),
        403,
        'project_not_held',
      );
      expect(await server.headPosition()).toBe(head);
      const allowed = await post(manager.token, '/api/v1/users', {
        ...body,
        permissions: ['manage_users'],
        projectIds: [ids.mine!],
      });
      expect(allowed.status).toBe(201);
    });

    it('a manager cannot give or take a permission they do not hold, nor make admins', async () => {
      const { user } = await server.createUser(root, { email: email('t') });
      await expectRefused(
        await patch(manager.token, user.id, { permissions: ['create_projects'] }),
        403,
        'permission_not_held',
      );
      await expectRefused(await patch(manager.token, user.id, { role: 'admin' }), 403, 'admin_only');
      const creator = await server.createUser(root, { email: email('c'), permissions: ['create_projects'] });
      await expectRefused(
        await patch(manager.token, creator.user.id, { permissions: [] }),
        403,
        'permission_not_held',
      );
      const granted = await patch(manager.token, user.id, { permissions: ['manage_users'] });
      expect(await granted.json()).toMatchObject({ permissions: ['manage_users'] });
    });

    it('nobody changes their own permissions or role', async () => {
      await expectRefused(
        await patch(manager.token, manager.user.id, { permissions: [] }),
        403,
        'self_change',
      );
      await expectRefused(
        await patch(manager.token, manager.user.id, { permissions: ['manage_users', 'create_projects'] }),
        403,
        'self_change',
      );
      await expectRefused(await patch(admin, adminId, { role: 'user' }), 403, 'self_change');
      // One's own password changes through /me/password, which needs the current one: a stolen token must not
      // be enough to take the account over, not even an admin's or the root's.
      for (const [token, id] of [
        [admin, adminId],
        [root, rootId],
      ] as const) {
        const head = await server.headPosition();
        await expectRefused(
          await post(token, `/api/v1/admin/users/${id}/password`, { password: 'taken-over-12' }),
          403,
          'self_change',
        );
        expect(await server.headPosition()).toBe(head);
        expect((await server.request('GET', '/api/v1/me', { token })).status).toBe(200);
      }
      // Changing one's own name through /users is fine.
      expect((await patch(manager.token, manager.user.id, { name: 'Still Me' })).status).toBe(200);
    });

    it('only global admins change, block or delete a global admin', async () => {
      await expectRefused(await patch(manager.token, adminId, { name: 'x' }), 403, 'admin_only');
      await expectRefused(await post(manager.token, `/api/v1/users/${adminId}/block`), 403, 'admin_only');
      await expectRefused(await del(manager.token, `/api/v1/users/${adminId}`), 403, 'admin_only');
      await expectRefused(
        await post(manager.token, `/api/v1/users/${adminId}/projects`, { projectId: ids.mine! }),
        403,
        'admin_only',
      );
      const other = await server.createAdmin(email('admin2'), 'admin-password-2');
      const blocked = await post(admin, `/api/v1/users/${other.userId}/block`);
      expect(await blocked.json()).toMatchObject({ blocked: true });
    });

    it('a manager grants and revokes only projects in their own list', async () => {
      const { user } = await server.createUser(root, { email: email('p'), projectIds: [ids.theirs!] });
      await expectRefused(
        await post(manager.token, `/api/v1/users/${user.id}/projects`, { projectId: ids.theirs2! }),
        403,
        'project_not_held',
      );
      await expectRefused(
        await del(manager.token, `/api/v1/users/${user.id}/projects/${ids.theirs}`),
        403,
        'project_not_held',
      );
      const granted = await post(manager.token, `/api/v1/users/${user.id}/projects`, {
        projectId: ids.mine!,
      });
      expect(await granted.json()).toMatchObject({ projectIds: [ids.mine!, ids.theirs!].sort() });
    });

    it('a permission taken away applies to the very next request', async () => {
      const m = await server.createUser(root, { email: email('m'), permissions: ['manage_users'] });
      expect((await server.request('GET', '/api/v1/users', { token: m.token })).status).toBe(200);
      await patch(root, m.user.id, { permissions: [] });
      await expectRefused(
        await server.request('GET', '/api/v1/users', { token: m.token }),
        403,
        'missing_permission',
      );
    });
  });

  describe('email uniqueness', () => {
    it('of 20 concurrent creates with one email, exactly one succeeds', async () => {
      const address = email('race');
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post(root, '/api/v1/users', {
            email: i % 2 ? address : address.toUpperCase(),
            name: `Racer ${i}`,
            password: 'racer-password-1',
          }),
        ),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
      const winner = (await responses.find((r) => r.status === 201)!.json()) as UserJson;

      // Exactly one user holds it, in the read model and in the reservation stream.
      const page = (await (
        await server.request('GET', '/api/v1/users?limit=200', { token: root })
      ).json()) as {
        items: UserJson[];
      };
      expect(page.items.filter((u) => u.email === address)).toHaveLength(1);
      const reservation = await server.m3m.eventStore.readStream(emailStream(address));
      expect(reservation.map((e) => e.type)).toEqual(['EmailReserved']);
      expect(reservation[0]!.data).toEqual({ userId: winner.id });
      const registered = await server.m3m.eventStore.readStream(userStream(winner.id));
      expect(registered[0]!.metadata).toMatchObject({ actorId: rootId, source: 'api' });
    });
  });
});
