import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject } from '../kit/projects.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

/**
 * The access policy, as a table a reader can check at a glance: every identity route × every kind of caller →
 * the status they get. Targets are fresh plain users, so the status shows the route's policy, not a rule about
 * the target (those have their own tests).
 */
const ACTORS = ['anonymous', 'plain', 'creator', 'manager', 'admin', 'root'] as const;
type ActorName = (typeof ACTORS)[number];

//                                                   anonymous plain creator manager admin root
const POLICY: [route: string, ...statuses: number[]][] = [
  ['POST /api/v1/auth/login', /*                  */ 200, 200, 200, 200, 200, 200],
  ['GET /api/v1/auth/setup', /*                   */ 200, 200, 200, 200, 200, 200],
  ['GET /api/v1/avatars/{file}', /*               */ 200, 200, 200, 200, 200, 200],
  ['GET /api/v1/me', /*                           */ 401, 200, 200, 200, 200, 200],
  ['PATCH /api/v1/me', /*                         */ 401, 200, 200, 200, 200, 200],
  ['POST /api/v1/me/password', /*                 */ 401, 200, 200, 200, 200, 200],
  ['PUT /api/v1/me/avatar', /*                    */ 401, 200, 200, 200, 200, 200],
  ['DELETE /api/v1/me/avatar', /*                 */ 401, 200, 200, 200, 200, 200],
  ['GET /api/v1/users', /*                        */ 401, 403, 403, 200, 200, 200],
  ['POST /api/v1/users', /*                       */ 401, 403, 403, 201, 201, 201],
  ['GET /api/v1/users/{id}', /*                   */ 401, 403, 403, 200, 200, 200],
  ['PATCH /api/v1/users/{id}', /*                 */ 401, 403, 403, 200, 200, 200],
  ['POST /api/v1/users/{id}/block', /*            */ 401, 403, 403, 200, 200, 200],
  ['POST /api/v1/users/{id}/unblock', /*          */ 401, 403, 403, 200, 200, 200],
  ['DELETE /api/v1/users/{id}', /*                */ 401, 403, 403, 204, 204, 204],
  ['POST /api/v1/users/{id}/projects', /*         */ 401, 403, 403, 200, 200, 200],
  ['DELETE /api/v1/users/{id}/projects/{projectId}', 401, 403, 403, 200, 200, 200],
  ['POST /api/v1/admin/users/{id}/password', /*   */ 401, 403, 403, 403, 204, 204],
  ['GET /api/v1/admin/plugins', /*                */ 401, 403, 403, 403, 200, 200],
  ['GET /api/v1/admin/audit', /*                  */ 401, 403, 403, 403, 200, 200],
  ['GET /api/v1/admin/audit/export', /*           */ 401, 403, 403, 403, 200, 200],
  ['GET /api/v1/admin/audit/state', /*            */ 401, 403, 403, 403, 200, 200],
  ['GET /api/v1/admin/audit/diff', /*             */ 401, 403, 403, 403, 200, 200],
];

/** The manager may grant only projects in their own list: they hold this one (created before the users). */
let PROJECT: string;
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

interface Cell {
  route: string;
  actor: ActorName;
  status: number;
}
const CELLS: Cell[] = POLICY.flatMap(([route, ...statuses]) =>
  ACTORS.map((actor, i) => ({ route, actor, status: statuses[i]! })),
);

describe('access matrix', () => {
  let server: TestServer;
  let rootToken: string;
  const tokens = {} as Record<ActorName, string | null>;
  const passwords = {} as Record<ActorName, string>;
  let avatarPath: string;
  let seq = 0;

  beforeAll(async () => {
    server = await startTestServer();
    await server.createAdmin(ROOT.email, ROOT.password);
    await server.createAdmin('admin@example.com', 'admin-password-1');
    rootToken = await server.login(ROOT.email, ROOT.password);
    tokens.anonymous = null;
    tokens.root = rootToken;
    passwords.root = ROOT.password;
    tokens.admin = await server.login('admin@example.com', 'admin-password-1');
    passwords.admin = 'admin-password-1';
    PROJECT = (await createProject(server, rootToken, 'shared-project')).id;
    const users: [ActorName, string[]][] = [
      ['plain', []],
      ['creator', ['create_projects']],
      ['manager', ['manage_users']],
    ];
    for (const [name, permissions] of users) {
      const created = await server.createUser(rootToken, {
        email: `${name}@example.com`,
        permissions,
        projectIds: [PROJECT],
      });
      tokens[name] = created.token;
      passwords[name] = created.password;
    }
    await server.createUser(rootToken, { email: 'login-target@example.com', password: 'login-target-1' });
    const uploaded = await server.request('PUT', '/api/v1/me/avatar', {
      token: rootToken,
      body: PNG,
      headers: { 'content-type': 'image/png' },
    });
    avatarPath = ((await uploaded.json()) as { avatarUrl: string }).avatarUrl;
  });
  afterAll(() => server.close());

  // The root's own token changes along the way (POST /me/password): always use tokens.root below.
  /** A fresh plain user with access to PROJECT, for routes that act on someone. */
  async function target(): Promise<string> {
    const created = await server.request('POST', '/api/v1/users', {
      token: tokens.root,
      body: {
        email: `target-${++seq}@example.com`,
        name: 'Target',
        password: 'target-password-1',
        projectIds: [PROJECT],
      },
    });
    expect(created.status).toBe(201);
    return ((await created.json()) as { id: string }).id;
  }

  async function call(route: string, actor: ActorName): Promise<Response> {
    const token = tokens[actor];
    switch (route) {
      case 'POST /api/v1/auth/login':
        return server.request('POST', '/api/v1/auth/login', {
          token,
          body: { email: 'login-target@example.com', password: 'login-target-1' },
        });
      case 'GET /api/v1/auth/setup':
        return server.request('GET', '/api/v1/auth/setup', { token });
      case 'GET /api/v1/avatars/{file}':
        return server.request('GET', avatarPath, { token });
      case 'GET /api/v1/me':
        return server.request('GET', '/api/v1/me', { token });
      case 'PATCH /api/v1/me':
        return server.request('PATCH', '/api/v1/me', { token, body: { name: `Renamed ${actor}` } });
      case 'POST /api/v1/me/password': {
        const password = passwords[actor];
        const response = await server.request('POST', '/api/v1/me/password', {
          token,
          body: { currentPassword: password ?? 'whatever-1', newPassword: password ?? 'whatever-password-1' },
        });
        // The change ends every older token: carry on with the fresh one.
        if (response.status === 200)
          tokens[actor] = ((await response.clone().json()) as { token: string }).token;
        return response;
      }
      case 'PUT /api/v1/me/avatar':
        return server.request('PUT', '/api/v1/me/avatar', {
          token,
          body: PNG,
          headers: { 'content-type': 'image/png' },
        });
      case 'DELETE /api/v1/me/avatar':
        return server.request('DELETE', '/api/v1/me/avatar', { token });
      case 'GET /api/v1/users':
        return server.request('GET', '/api/v1/users', { token });
      case 'POST /api/v1/users':
        return server.request('POST', '/api/v1/users', {
          token,
          body: { email: `new-${++seq}@example.com`, name: 'New', password: 'new-password-1' },
        });
      case 'GET /api/v1/users/{id}':
        return server.request('GET', `/api/v1/users/${await target()}`, { token });
      case 'PATCH /api/v1/users/{id}':
        return server.request('PATCH', `/api/v1/users/${await target()}`, {
          token,
          body: { name: 'Edited' },
        });
      case 'POST /api/v1/users/{id}/block':
        return server.request('POST', `/api/v1/users/${await target()}/block`, { token });
      case 'POST /api/v1/users/{id}/unblock': {
        const id = await target();
        expect(
          (await server.request('POST', `/api/v1/users/${id}/block`, { token: tokens.root })).status,
        ).toBe(200);
        return server.request('POST', `/api/v1/users/${id}/unblock`, { token });
      }
      case 'DELETE /api/v1/users/{id}':
        return server.request('DELETE', `/api/v1/users/${await target()}`, { token });
      case 'POST /api/v1/users/{id}/projects':
        return server.request('POST', `/api/v1/users/${await target()}/projects`, {
          token,
          body: { projectId: PROJECT },
        });
      case 'DELETE /api/v1/users/{id}/projects/{projectId}':
        return server.request('DELETE', `/api/v1/users/${await target()}/projects/${PROJECT}`, { token });
      case 'POST /api/v1/admin/users/{id}/password':
        return server.request('POST', `/api/v1/admin/users/${await target()}/password`, {
          token,
          body: { password: 'reset-password-1' },
        });
      case 'GET /api/v1/admin/plugins':
        return server.request('GET', '/api/v1/admin/plugins', { token });
      case 'GET /api/v1/admin/audit':
        return server.request('GET', '/api/v1/admin/audit', { token });
      case 'GET /api/v1/admin/audit/state':
        return server.request('GET', `/api/v1/admin/audit/state?stream=user-${await target()}`, { token });
      case 'GET /api/v1/admin/audit/diff':
        return server.request('GET', `/api/v1/admin/audit/diff?stream=user-${await target()}&from=0`, {
          token,
        });
      case 'GET /api/v1/admin/audit/export':
        return server.request('GET', '/api/v1/admin/audit/export?format=csv', { token });
      default:
        throw new Error(`No request for ${route}`);
    }
  }

  it('covers every identity route of the OpenAPI document', async () => {
    const doc = (await (await server.request('GET', '/api/docs/json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    // Module licences and the admins' project list: test/modules/accessMatrix.test.ts.
    const modules = /\/api\/v1\/(admin\/projects|admin\/users\/\{id\}\/licenses|me\/module-licenses)\b/;
    const identity = documented.filter(
      (r) => /\/api\/v1\/(auth|me|users|admin|avatars)\b/.test(r) && !modules.test(r),
    );
    expect(identity.sort()).toEqual(POLICY.map(([route]) => route).sort());
  });

  it.each(CELLS)('$route as $actor → $status', async ({ route, actor, status }) => {
    const response = await call(route, actor);
    const body = await response.text();
    expect(response.status, body).toBe(status);
    if (status === 401 || status === 403) {
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });
});
