import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Issue 5's permission matrix over a real HTTP server: who calls × what they ask → the exact status and
 * error code. Each cell acts on a fresh project, so no cell depends on another.
 *
 * The owners differ only by their licences for the non-core module `webhooks`: `ownerAll` holds one for all
 * projects, `ownerThis` one for the cell's project (granted after creating it), `ownerOther` one for another
 * project of theirs, `ownerNone` none. `member` is a member of the cell's project and `outsider` is not;
 * both call on a project whose owner holds an all_projects licence (so their 403 is about who they are, not
 * about a licence). `admin` calls on `ownerNone`'s project (so no licence is involved).
 */
const CALLERS = [
  'anonymous',
  'ownerAll',
  'ownerThis',
  'ownerOther',
  'ownerNone',
  'member',
  'outsider',
  'admin',
  'root',
] as const;
type Caller = (typeof CALLERS)[number];
const ACTIONS = ['enable core', 'enable non-core', 'disable', 'unknown code'] as const;
type Action = (typeof ACTIONS)[number];
type Expected = [status: number, code?: string];

const E401: Expected = [401, 'unauthorized'];
const NOT_MANAGER: Expected = [403, 'not_project_manager'];
const NO_LICENSE: Expected = [403, 'license_required'];
const UNKNOWN: Expected = [404, 'module_not_found'];
const NOT_FOUND: Expected = [404, 'project_not_found'];
const OK: Expected = [200];

//                                   enable core   enable non-core   disable       unknown code
const MATRIX: Record<Caller, Record<Action, Expected>> = {
  anonymous: row(E401, E401, E401, E401),
  ownerAll: row(OK, OK, OK, UNKNOWN),
  ownerThis: row(OK, OK, OK, UNKNOWN),
  ownerOther: row(OK, NO_LICENSE, OK, UNKNOWN),
  ownerNone: row(OK, NO_LICENSE, OK, UNKNOWN),
  member: row(NOT_MANAGER, NOT_MANAGER, NOT_MANAGER, NOT_MANAGER),
  outsider: row(NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),
  admin: row(OK, OK, OK, UNKNOWN),
  root: row(OK, OK, OK, UNKNOWN),
};

function row(...cells: Expected[]): Record<Action, Expected> {
  return Object.fromEntries(ACTIONS.map((action, i) => [action, cells[i]!])) as Record<Action, Expected>;
}

const CELLS = CALLERS.flatMap((caller) =>
  ACTIONS.map((action) => {
    const [status, code] = MATRIX[caller][action];
    return { caller, action, status, code: code ?? '' };
  }),
);

/** The admin routes and the module reads × every kind of caller → status. */
const ROUTE_CALLERS = ['anonymous', 'plain', 'manager', 'owner', 'member', 'admin', 'root'] as const;
type RouteCaller = (typeof ROUTE_CALLERS)[number];
//                                                                 anon plain manager owner member admin root
const ROUTES: [route: string, ...statuses: number[]][] = [
  ['GET /api/v1/modules', /*                                    */ 401, 200, 200, 200, 200, 200, 200],
  ['GET /api/v1/projects/{id}/modules', /*                      */ 401, 404, 404, 200, 200, 200, 200],
  ['POST /api/v1/projects/{id}/modules', /*                     */ 401, 404, 404, 403, 403, 200, 200],
  ['DELETE /api/v1/projects/{id}/modules/{moduleCode}', /*      */ 401, 404, 404, 200, 403, 200, 200],
  ['GET /api/v1/me/module-licenses', /*                         */ 401, 200, 200, 200, 200, 200, 200],
  ['GET /api/v1/admin/projects', /*                             */ 401, 403, 403, 403, 403, 200, 200],
  ['PUT /api/v1/admin/projects/{id}/quotas', /*                 */ 401, 403, 403, 403, 403, 200, 200],
  ['GET /api/v1/admin/users/{id}/licenses', /*                  */ 401, 403, 403, 403, 403, 200, 200],
  ['POST /api/v1/admin/users/{id}/licenses', /*                 */ 401, 403, 403, 403, 403, 201, 201],
  ['DELETE /api/v1/admin/users/{id}/licenses/{licenseId}', /*   */ 401, 403, 403, 403, 403, 204, 204],
];
const ROUTE_CELLS = ROUTES.flatMap(([route, ...statuses]) =>
  ROUTE_CALLERS.map((caller, i) => ({ route, caller, status: statuses[i]! })),
);

describe('modules and licences: permission matrix', () => {
  let server: TestServer;
  const tokens = {} as Record<Caller | RouteCaller, string | null>;
  const ids = {} as Record<Caller | RouteCaller, string>;
  let seq = 0;

  beforeAll(async () => {
    server = await startTestServer();
    await server.createAdmin(ROOT.email, ROOT.password);
    await server.createAdmin('admin@example.com', 'admin-password-1');
    tokens.anonymous = null;
    tokens.root = await server.login(ROOT.email, ROOT.password);
    tokens.admin = await server.login('admin@example.com', 'admin-password-1');
    const users: [Caller | RouteCaller, string[]][] = [
      ['ownerAll', ['create_projects']],
      ['ownerThis', ['create_projects']],
      ['ownerOther', ['create_projects']],
      ['ownerNone', ['create_projects']],
      ['member', []],
      ['outsider', ['create_projects']],
      ['plain', []],
      ['manager', ['manage_users', 'create_projects']],
      ['owner', ['create_projects']],
    ];
    for (const [name, permissions] of users) {
      const created = await server.createUser(tokens.root!, {
        email: `${name.toLowerCase()}@example.com`,
        permissions,
      });
      tokens[name] = created.token;
      ids[name] = created.user.id;
    }
    await grant(ids.ownerAll, { moduleCode: 'webhooks', scope: 'all_projects' });
    // So that the owner's 403 on a trial below is about the trial being for admins only.
    await grant(ids.owner, { moduleCode: 'webhooks', scope: 'all_projects' });
    const other = await project('ownerOther');
    await grant(ids.ownerOther, { moduleCode: 'webhooks', scope: 'single_project', projectId: other });
  });
  afterAll(() => server.close());

  async function json(response: Promise<Response>, status: number): Promise<Record<string, unknown>> {
    const r = await response;
    const text = await r.text();
    expect(r.status, text).toBe(status);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  async function grant(userId: string, body: Record<string, unknown>): Promise<string> {
    const license = await json(
      server.request('POST', `/api/v1/admin/users/${userId}/licenses`, { token: tokens.root, body }),
      201,
    );
    return license.id as string;
  }

  /** A fresh project of `owner`, with `member` as a member. */
  async function project(owner: Caller | RouteCaller): Promise<string> {
    const created = await json(
      server.request('POST', '/api/v1/projects', {
        token: tokens[owner],
        body: { name: 'P', slug: `p-${++seq}` },
      }),
      201,
    );
    const id = created.id as string;
    await json(
      server.request('POST', `/api/v1/projects/${id}/members`, {
        token: tokens[owner],
        body: { userId: ids.member },
      }),
      200,
    );
    return id;
  }

  async function modulesOf(projectId: string): Promise<Record<string, string>> {
    const list = await json(
      server.request('GET', `/api/v1/projects/${projectId}/modules`, { token: tokens.root }),
      200,
    );
    const items = list.items as { moduleName: string; status: string }[];
    return Object.fromEntries(items.map((m) => [m.moduleName, m.status]));
  }

  /** The project a cell acts on, prepared as the table's comment says. */
  async function cellProject(caller: Caller, action: Action): Promise<string> {
    const owner: Caller =
      caller === 'ownerAll' || caller === 'ownerThis' || caller === 'ownerOther' || caller === 'ownerNone'
        ? caller
        : caller === 'admin' || caller === 'root' || caller === 'anonymous'
          ? 'ownerNone'
          : 'ownerAll';
    const projectId = await project(owner);
    if (owner === 'ownerThis') {
      await grant(ids.ownerThis, { moduleCode: 'webhooks', scope: 'single_project', projectId });
    }
    if (action === 'disable') {
      await json(
        server.request('POST', `/api/v1/projects/${projectId}/modules`, {
          token: tokens.root,
          body: { moduleCode: 'webhooks' },
        }),
        200,
      );
    }
    return projectId;
  }

  function act(caller: Caller | RouteCaller, action: Action, projectId: string): Promise<Response> {
    const token = tokens[caller];
    const path = `/api/v1/projects/${projectId}/modules`;
    switch (action) {
      case 'enable core':
        return server.request('POST', path, { token, body: { moduleCode: 'goals' } });
      case 'enable non-core':
        return server.request('POST', path, { token, body: { moduleCode: 'webhooks' } });
      case 'disable':
        return server.request('DELETE', `${path}/webhooks`, { token });
      case 'unknown code':
        return server.request('POST', path, { token, body: { moduleCode: 'no-such-module' } });
    }
  }

  it.each(CELLS)('$action as $caller → $status $code', async ({ caller, action, status, code }) => {
    const projectId = await cellProject(caller, action);
    const before = await server.headPosition();
    const response = await act(caller, action, projectId);
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(body)).toBe(status);
    const modules = await modulesOf(projectId);
    expect(modules.goals).toBe('active');
    if (status >= 400) {
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(body.code).toBe(code);
      // A refusal writes nothing, and leaves the module as it was.
      expect(await server.headPosition()).toBe(before);
      expect(modules.webhooks).toBe(action === 'disable' ? 'active' : undefined);
      return;
    }
    switch (action) {
      case 'enable core':
        expect(body).toEqual({ moduleName: 'goals', status: 'active', isCore: true });
        expect(await server.headPosition()).toBe(before); // core modules are always on: nothing to record
        break;
      case 'enable non-core':
        expect(body).toEqual({ moduleName: 'webhooks', status: 'active', isCore: false });
        expect(modules.webhooks).toBe('active');
        break;
      case 'disable':
        expect(body).toEqual({ moduleName: 'webhooks', status: 'disabled', isCore: false });
        expect(modules.webhooks).toBe('disabled');
        break;
      case 'unknown code':
        throw new Error('an unknown code never succeeds');
    }
  });

  async function routeCall(route: string, caller: RouteCaller): Promise<Response> {
    const token = tokens[caller];
    const projectId = await project('owner');
    if (route.startsWith('DELETE /api/v1/projects/')) {
      await json(
        server.request('POST', `/api/v1/projects/${projectId}/modules`, {
          token: tokens.root,
          body: { moduleCode: 'webhooks' },
        }),
        200,
      );
    }
    const target = ids.plain;
    switch (route) {
      case 'GET /api/v1/modules':
        return server.request('GET', '/api/v1/modules', { token });
      case 'GET /api/v1/projects/{id}/modules':
        return server.request('GET', `/api/v1/projects/${projectId}/modules`, { token });
      case 'POST /api/v1/projects/{id}/modules':
        return server.request('POST', `/api/v1/projects/${projectId}/modules`, {
          token,
          body: {
            moduleCode: 'webhooks',
            trialEndsAt: new Date(server.clock.now().getTime() + 86_400_000).toISOString(),
          },
        });
      case 'DELETE /api/v1/projects/{id}/modules/{moduleCode}':
        return server.request('DELETE', `/api/v1/projects/${projectId}/modules/webhooks`, { token });
      case 'GET /api/v1/me/module-licenses':
        return server.request('GET', '/api/v1/me/module-licenses', { token });
      case 'GET /api/v1/admin/projects':
        return server.request('GET', '/api/v1/admin/projects', { token });
      case 'PUT /api/v1/admin/projects/{id}/quotas':
        return server.request('PUT', `/api/v1/admin/projects/${projectId}/quotas`, {
          token,
          body: { documents: 10 },
        });
      case 'GET /api/v1/admin/users/{id}/licenses':
        return server.request('GET', `/api/v1/admin/users/${target}/licenses`, { token });
      case 'POST /api/v1/admin/users/{id}/licenses':
        return server.request('POST', `/api/v1/admin/users/${target}/licenses`, {
          token,
          body: { moduleCode: 'webhooks', scope: 'single_project', projectId },
        });
      case 'DELETE /api/v1/admin/users/{id}/licenses/{licenseId}': {
        const licenseId = await grant(target, { moduleCode: 'webhooks', scope: 'single_project', projectId });
        return server.request('DELETE', `/api/v1/admin/users/${target}/licenses/${licenseId}`, { token });
      }
      default:
        throw new Error(`No request for ${route}`);
    }
  }

  it('covers every module, licence and admin-project route of the OpenAPI document', async () => {
    const doc = (await (await server.request('GET', '/api/docs/json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths)
      .filter(([path]) => /\/(modules|module-licenses|licenses)\b|^\/api\/v1\/admin\/projects\b/.test(path))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map(([route]) => route).sort());
  });

  // The POST here is a trial (global admins only), so an owner without admin rights gets 403 even with a licence.
  it.each(ROUTE_CELLS)('$route as $caller → $status', async ({ route, caller, status }) => {
    const response = await routeCall(route, caller);
    const text = await response.text();
    expect(response.status, text).toBe(status);
    if (status === 401 || status === 403) {
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const code = (JSON.parse(text) as { code: string }).code;
      if (route.includes('/admin/')) expect(code).toBe(status === 401 ? 'unauthorized' : 'admin_only');
    }
  });
});
