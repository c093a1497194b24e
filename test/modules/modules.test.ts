import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeModules } from '../../application/modules/queries.ts';
import type { RecordedEvent } from '../../application/ports/eventStore.ts';
import { requireModule } from '../../infrastructure/http/moduleGuard.ts';
import type { ModuleRouteDeps } from '../../infrastructure/http/routes/moduleSchemas.ts';
import { problemOf } from '../kit/http.ts';
import { createProject } from '../kit/projects.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

const HOUR = 3_600_000;

/**
 * Modules and licences end to end over HTTP. `crm` is added to the catalogue the way a plugin adds its
 * module, and a route of that module (`GET /projects/:id/crm/ping`) is registered beside m3m's own to show
 * the guard at work.
 */
describe('modules and licences over HTTP', () => {
  let server: TestServer;
  let root: string;
  let rootId: string;
  let owner: string;
  let ownerId: string;
  let other: string;
  let otherId: string;

  beforeAll(async () => {
    server = await startTestServer({
      prepare: (m3m) => {
        m3m.modules.registerModule(
          { code: 'crm', name: 'CRM', description: 'Contacts and deals', isCore: false },
          'plugin:crm-test',
        );
      },
      extraRoutes: ({ modules }: { modules: ModuleRouteDeps }) => [
        (app) => {
          app.addHook('onRequest', modules.auth.authenticate);
          app.get(
            '/projects/:id/crm/ping',
            { preHandler: requireModule(modules, 'crm'), schema: { hide: true } },
            async () => ({ pong: true }),
          );
        },
      ],
    });
    rootId = (await server.createAdmin(ROOT.email, ROOT.password)).userId;
    root = await server.login(ROOT.email, ROOT.password);
    const o = await server.createUser(root, { email: 'owner@example.com', permissions: ['create_projects'] });
    owner = o.token;
    ownerId = o.user.id;
    const x = await server.createUser(root, { email: 'other@example.com', permissions: ['create_projects'] });
    other = x.token;
    otherId = x.user.id;
  });
  afterAll(() => server.close());

  async function send(
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown>; response: Response }> {
    const response = await server.request(method, path, { token, ...(body === undefined ? {} : { body }) });
    const text = await response.clone().text();
    return { status: response.status, json: text ? JSON.parse(text) : {}, response };
  }

  async function expectStatus(
    call: Promise<{ status: number; json: Record<string, unknown> }>,
    status: number,
    code?: string,
  ): Promise<Record<string, unknown>> {
    const { status: got, json } = await call;
    expect(got, JSON.stringify(json)).toBe(status);
    if (code !== undefined) expect(json.code).toBe(code);
    return json;
  }

  let seq = 0;
  async function project(token = owner): Promise<string> {
    return (await createProject(server, token, `m-${++seq}`, { name: 'P' })).id;
  }

  const enable = (projectId: string, token: string, body: Record<string, unknown>) =>
    send('POST', `/api/v1/projects/${projectId}/modules`, token, body);
  const disable = (projectId: string, token: string, code: string) =>
    send('DELETE', `/api/v1/projects/${projectId}/modules/${code}`, token);
  const grant = (userId: string, body: Record<string, unknown>) =>
    send('POST', `/api/v1/admin/users/${userId}/licenses`, root, body);

  async function statuses(projectId: string, token = root): Promise<Record<string, unknown>> {
    const list = await expectStatus(send('GET', `/api/v1/projects/${projectId}/modules`, token), 200);
    return Object.fromEntries(
      (list.items as { moduleName: string }[]).map((m) => [
        m.moduleName,
        (({ moduleName, ...rest }) => rest)(m),
      ]),
    );
  }

  async function eventsSince(position: number): Promise<RecordedEvent[]> {
    return server.m3m.eventStore.readAll({ fromPosition: position, limit: 10_000 });
  }

  it('lists the catalogue: built-in modules and the plugin module, core first', async () => {
    const json = await expectStatus(send('GET', '/api/v1/modules', other), 200);
    expect(json.items).toEqual([
      {
        code: 'goals',
        name: 'Goals',
        description: expect.any(String),
        isCore: true,
        source: 'built-in',
      },
      {
        code: 'crm',
        name: 'CRM',
        description: 'Contacts and deals',
        isCore: false,
        source: 'plugin:crm-test',
      },
      // the plugins shipped with m3m (plugins/crypto, plugins/mail)
      {
        code: 'crypto',
        name: 'Crypto',
        description: expect.any(String),
        isCore: false,
        source: 'plugin:crypto',
      },
      { code: 'mail', name: 'Mail', description: expect.any(String), isCore: false, source: 'plugin:mail' },
      {
        code: 'webhooks',
        name: 'Webhooks',
        description: expect.any(String),
        isCore: false,
        source: 'built-in',
      },
    ]);
    await expectStatus(send('GET', '/api/v1/modules', null), 401, 'unauthorized');
  });

  it('a new project has its core modules, always active, and nothing else', async () => {
    const p = await project();
    expect(await statuses(p, owner)).toEqual({ goals: { status: 'active', isCore: true } });
    expect(await activeModules(moduleDeps(), p)).toEqual(['goals']);
    await expectStatus(disable(p, root, 'goals'), 409, 'module_is_core');
    await expectStatus(disable(p, owner, 'nope'), 404, 'module_not_found');
  });

  function moduleDeps() {
    return { readStore: server.m3m.readStore, clock: server.m3m.clock, modules: server.m3m.modules };
  }

  it('enabling is idempotent; disable then enable again needs no new licence', async () => {
    const p = await project();
    await expectStatus(grant(ownerId, { moduleCode: 'crm', scope: 'single_project', projectId: p }), 201);
    expect(await expectStatus(enable(p, owner, { moduleCode: 'crm' }), 200)).toEqual({
      moduleName: 'crm',
      status: 'active',
      isCore: false,
    });
    const afterFirst = await server.headPosition();
    await expectStatus(enable(p, owner, { moduleCode: 'crm' }), 200);
    expect(await server.headPosition()).toBe(afterFirst);

    expect(await expectStatus(disable(p, owner, 'crm'), 200)).toEqual({
      moduleName: 'crm',
      status: 'disabled',
      isCore: false,
    });
    expect((await statuses(p)).crm).toEqual({ status: 'disabled', isCore: false });
    const afterDisable = await server.headPosition();
    await expectStatus(disable(p, owner, 'crm'), 200);
    expect(await server.headPosition()).toBe(afterDisable);

    await expectStatus(enable(p, owner, { moduleCode: 'crm' }), 200);
    expect((await statuses(p)).crm).toEqual({ status: 'active', isCore: false });
    const licenseEvents = (await eventsSince(afterFirst)).filter((e) => e.type.startsWith('ModuleLicense'));
    expect(licenseEvents).toEqual([]);
    expect(await activeModules(moduleDeps(), p)).toEqual(['crm', 'goals']);
  });

  it('the guard: a module route answers 403 module_disabled where the module is off, 404 to outsiders', async () => {
    const p = await project();
    const ping = (token: string) => send('GET', `/api/v1/projects/${p}/crm/ping`, token);
    await expectStatus(ping(owner), 403, 'module_disabled');
    await expectStatus(ping(other), 404, 'project_not_found');
    await expectStatus(enable(p, root, { moduleCode: 'crm' }), 200);
    expect(await expectStatus(ping(owner), 200)).toEqual({ pong: true });
    await expectStatus(ping(other), 404, 'project_not_found');
    await expectStatus(disable(p, owner, 'crm'), 200);
    await expectStatus(ping(owner), 403, 'module_disabled');
    // The core goals module's routes go through the same guard and are always on.
    await expectStatus(send('GET', `/api/v1/projects/${p}/goals`, owner), 200);
  });

  it('a trial counts as disabled everywhere once its end has passed (injected clock)', async () => {
    const p = await project();
    const ends = new Date(server.clock.now().getTime() + HOUR).toISOString();
    expect(await expectStatus(enable(p, root, { moduleCode: 'crm', trialEndsAt: ends }), 200)).toEqual({
      moduleName: 'crm',
      status: 'trial',
      isCore: false,
      trialEndsAt: ends,
    });
    expect((await statuses(p, owner)).crm).toEqual({ status: 'trial', isCore: false, trialEndsAt: ends });
    await expectStatus(send('GET', `/api/v1/projects/${p}/crm/ping`, owner), 200);
    expect(await activeModules(moduleDeps(), p)).toEqual(['crm', 'goals']);

    server.clock.advance(HOUR + 1000);
    expect((await statuses(p, owner)).crm).toEqual({ status: 'disabled', isCore: false, trialEndsAt: ends });
    await expectStatus(send('GET', `/api/v1/projects/${p}/crm/ping`, owner), 403, 'module_disabled');
    expect(await activeModules(moduleDeps(), p)).toEqual(['goals']);

    // After the trial, enabling it for good follows the usual rules.
    await expectStatus(enable(p, owner, { moduleCode: 'crm' }), 403, 'license_required');
    await expectStatus(enable(p, root, { moduleCode: 'crm' }), 200);
    expect((await statuses(p, owner)).crm).toEqual({ status: 'active', isCore: false });
    await expectStatus(send('GET', `/api/v1/projects/${p}/crm/ping`, owner), 200);
  });

  it('trials: global admins only, a future ISO date, not for core or active modules; nothing written on refusal', async () => {
    const p = await project();
    await expectStatus(
      grant(ownerId, { moduleCode: 'webhooks', scope: 'single_project', projectId: p }),
      201,
    );
    const future = new Date(server.clock.now().getTime() + 24 * HOUR).toISOString();
    const before = await server.headPosition();
    await expectStatus(enable(p, owner, { moduleCode: 'webhooks', trialEndsAt: future }), 403, 'admin_only');
    const past = new Date(server.clock.now().getTime() - 1000).toISOString();
    for (const trialEndsAt of [past, 'next week', '2031-01-01', '']) {
      const problem = await expectStatus(enable(p, root, { moduleCode: 'webhooks', trialEndsAt }), 400);
      expect((problem.errors as { field: string }[]).map((e) => e.field)).toEqual(['body.trialEndsAt']);
    }
    await expectStatus(enable(p, root, { moduleCode: 'goals', trialEndsAt: future }), 409, 'module_is_core');
    expect(await server.headPosition()).toBe(before);

    await expectStatus(enable(p, owner, { moduleCode: 'webhooks' }), 200);
    await expectStatus(
      enable(p, root, { moduleCode: 'webhooks', trialEndsAt: future }),
      409,
      'module_already_active',
    );
    expect((await statuses(p)).webhooks).toEqual({ status: 'active', isCore: false });
  });

  it('revoking a licence leaves enabled modules as they are; a new enable needs a licence again', async () => {
    const a = await project();
    const b = await project();
    const license = await expectStatus(
      grant(ownerId, { moduleCode: 'webhooks', scope: 'all_projects' }),
      201,
    );
    await expectStatus(enable(a, owner, { moduleCode: 'webhooks' }), 200);
    const mine = await expectStatus(send('GET', '/api/v1/me/module-licenses', owner), 200);
    expect((mine.items as { id: string }[]).map((l) => l.id)).toContain(license.id);

    await expectStatus(send('DELETE', `/api/v1/admin/users/${ownerId}/licenses/${license.id}`, root), 204);
    expect((await statuses(a)).webhooks).toEqual({ status: 'active', isCore: false });
    // The rules check the licence before the status: even a no-op enable is refused now, and changes nothing.
    await expectStatus(enable(a, owner, { moduleCode: 'webhooks' }), 403, 'license_required');
    expect((await statuses(a)).webhooks).toEqual({ status: 'active', isCore: false });
    await expectStatus(enable(b, owner, { moduleCode: 'webhooks' }), 403, 'license_required');
    await expectStatus(disable(a, owner, 'webhooks'), 200);
    await expectStatus(enable(a, owner, { moduleCode: 'webhooks' }), 403, 'license_required');

    const after = await expectStatus(send('GET', '/api/v1/me/module-licenses', owner), 200);
    expect((after.items as { id: string }[]).map((l) => l.id)).not.toContain(license.id);
    const history = await expectStatus(send('GET', `/api/v1/admin/users/${ownerId}/licenses`, root), 200);
    expect((history.items as { id: string }[]).find((l) => l.id === license.id)).toMatchObject({
      active: false,
      revokedBy: rootId,
      grantedBy: rootId,
    });
    // Revoking again records nothing; an unknown licence is a 404.
    const head = await server.headPosition();
    await expectStatus(send('DELETE', `/api/v1/admin/users/${ownerId}/licenses/${license.id}`, root), 204);
    expect(await server.headPosition()).toBe(head);
    await expectStatus(
      send('DELETE', `/api/v1/admin/users/${ownerId}/licenses/${crypto.randomUUID()}`, root),
      404,
      'license_not_found',
    );
  });

  it('granting checks scope and project, user and module, and writes nothing when it refuses', async () => {
    const p = await project();
    const before = await server.headPosition();
    const field = async (body: Record<string, unknown>, expected: string) => {
      const problem = await problemOf((await grant(otherId, body)).response);
      expect(problem.status, JSON.stringify(problem)).toBe(400);
      expect(problem.errors?.map((e) => e.field)).toEqual([expected]);
    };
    await field({ moduleCode: 'crm', scope: 'single_project' }, 'body.projectId');
    await field({ moduleCode: 'crm', scope: 'single_project', projectId: null }, 'body.projectId');
    await field({ moduleCode: 'crm', scope: 'all_projects', projectId: p }, 'body.projectId');
    await field(
      { moduleCode: 'crm', scope: 'single_project', projectId: crypto.randomUUID() },
      'body.projectId',
    );
    await field({ moduleCode: 'crm', scope: 'single_project', projectId: 'not-a-uuid' }, 'body.projectId');
    await field({ moduleCode: 'crm', scope: 'everywhere' }, 'body.scope');
    await field({ moduleCode: 'goals', scope: 'all_projects' }, 'body.moduleCode');
    await expectStatus(
      grant(otherId, { moduleCode: 'nope', scope: 'all_projects' }),
      404,
      'module_not_found',
    );
    await expectStatus(
      grant(crypto.randomUUID(), { moduleCode: 'crm', scope: 'all_projects' }),
      404,
      'user_not_found',
    );
    await expectStatus(
      send('GET', `/api/v1/admin/users/${crypto.randomUUID()}/licenses`, root),
      404,
      'user_not_found',
    );
    expect(await server.headPosition()).toBe(before);

    // The same licence again: 200 with the one already held, nothing recorded.
    const first = await expectStatus(
      grant(otherId, { moduleCode: 'crm', scope: 'single_project', projectId: p }),
      201,
    );
    expect(first).toMatchObject({
      userId: otherId,
      moduleCode: 'crm',
      scope: 'single_project',
      projectId: p,
      active: true,
      revokedAt: null,
    });
    const head = await server.headPosition();
    const again = await expectStatus(
      grant(otherId, { moduleCode: 'crm', scope: 'single_project', projectId: p }),
      200,
    );
    expect(again.id).toBe(first.id);
    expect(await server.headPosition()).toBe(head);
  });

  it('GET /me/module-licenses: only the caller’s own active licences', async () => {
    const p = await project(other);
    const mineA = await expectStatus(grant(otherId, { moduleCode: 'webhooks', scope: 'all_projects' }), 201);
    const mineB = await expectStatus(
      grant(otherId, { moduleCode: 'crm', scope: 'single_project', projectId: p }),
      201,
    );
    const revoked = await expectStatus(
      grant(otherId, { moduleCode: 'webhooks', scope: 'single_project', projectId: p }),
      201,
    );
    await expectStatus(send('DELETE', `/api/v1/admin/users/${otherId}/licenses/${revoked.id}`, root), 204);
    const stranger = await server.createUser(root, { email: 'stranger@example.com' });
    await expectStatus(grant(stranger.user.id, { moduleCode: 'crm', scope: 'all_projects' }), 201);

    const mine = await expectStatus(send('GET', '/api/v1/me/module-licenses', other), 200);
    const items = mine.items as { id: string; userId: string; active: boolean }[];
    expect(items.map((l) => l.id)).toEqual(expect.arrayContaining([mineA.id, mineB.id]));
    expect(items.map((l) => l.id)).not.toContain(revoked.id);
    expect(items.every((l) => l.userId === otherId && l.active)).toBe(true);
    const theirs = await expectStatus(send('GET', '/api/v1/me/module-licenses', stranger.token), 200);
    expect(theirs.items).toEqual([expect.objectContaining({ moduleCode: 'crm', scope: 'all_projects' })]);
  });

  it('GET /admin/projects lists every project with its owner', async () => {
    const mine = await project(owner);
    const theirs = await project(other);
    const json = await expectStatus(send('GET', '/api/v1/admin/projects', root), 200);
    const items = json.items as { id: string; owner: { id: string; email: string } | null; access: string }[];
    expect(items.find((p) => p.id === mine)).toMatchObject({
      owner: { id: ownerId, email: 'owner@example.com', name: 'owner' },
      access: 'admin',
    });
    expect(items.find((p) => p.id === theirs)?.owner?.id).toBe(otherId);
    const all = await expectStatus(send('GET', '/api/v1/projects', root), 200);
    expect(items.map((p) => p.id).sort()).toEqual((all.items as { id: string }[]).map((p) => p.id).sort());
  });

  it('every change is an event whose metadata names who did it', async () => {
    const start = await server.headPosition();
    const p = await project();
    const license = await expectStatus(
      grant(ownerId, { moduleCode: 'crm', scope: 'single_project', projectId: p }),
      201,
    );
    await expectStatus(enable(p, owner, { moduleCode: 'crm' }), 200);
    await expectStatus(disable(p, owner, 'crm'), 200);
    const ends = new Date(server.clock.now().getTime() + HOUR).toISOString();
    await expectStatus(enable(p, root, { moduleCode: 'crm', trialEndsAt: ends }), 200);
    await expectStatus(send('DELETE', `/api/v1/admin/users/${ownerId}/licenses/${license.id}`, root), 204);

    const events = (await eventsSince(start)).filter((e) => /^(ProjectModule|ModuleLicense)/.test(e.type));
    expect(
      events.map((e) => ({
        type: e.type,
        data: e.data,
        actorId: e.metadata.actorId,
        source: e.metadata.source,
      })),
    ).toEqual([
      {
        type: 'ModuleLicenseGranted',
        data: {
          licenseId: license.id,
          userId: ownerId,
          moduleCode: 'crm',
          scope: 'single_project',
          projectId: p,
        },
        actorId: rootId,
        source: 'api',
      },
      {
        type: 'ProjectModuleEnabled',
        data: { projectId: p, moduleCode: 'crm' },
        actorId: ownerId,
        source: 'api',
      },
      {
        type: 'ProjectModuleDisabled',
        data: { projectId: p, moduleCode: 'crm' },
        actorId: ownerId,
        source: 'api',
      },
      {
        type: 'ProjectModuleTrialStarted',
        data: { projectId: p, moduleCode: 'crm', trialEndsAt: ends },
        actorId: rootId,
        source: 'api',
      },
      {
        type: 'ModuleLicenseRevoked',
        data: { licenseId: license.id, userId: ownerId, moduleCode: 'crm' },
        actorId: rootId,
        source: 'api',
      },
    ]);
    expect(
      events.every(
        (e) => e.streamId.startsWith('project-modules-') || e.streamId.startsWith('module-licenses-'),
      ),
    ).toBe(true);
  });

  it('a deleted project takes its modules with it', async () => {
    const p = await project();
    await expectStatus(enable(p, root, { moduleCode: 'crm' }), 200);
    const slug = ((await expectStatus(send('GET', `/api/v1/projects/${p}`, owner), 200)) as { slug: string })
      .slug;
    await expectStatus(send('DELETE', `/api/v1/projects/${p}`, owner, { confirm: slug }), 204);
    await server.m3m.runner.waitFor(await server.headPosition());
    expect(await activeModules(moduleDeps(), p)).toEqual(['goals']);
    await expectStatus(enable(p, root, { moduleCode: 'crm' }), 404, 'project_not_found');
  });
});
