import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, createWorker } from '../kit/projects.ts';
import { runBody } from '../kit/sandbox.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * A project the caller cannot see does not exist for them: every project-scoped route of the OpenAPI
 * document answers an outsider the same for a project that exists and one that does not (404
 * `project_not_found`), so nothing reveals which ids are real. A member who sees the project but may not manage
 * it is told so (403). Valid bodies are given per route, so each request reaches the access check; a route
 * added without one fails here until it gets one.
 */

/** A body the route's schema accepts, by `METHOD path` (OpenAPI form). */
const BODIES: Record<string, unknown> = {
  'PATCH /api/v1/projects/{id}': { name: 'Renamed' },
  'DELETE /api/v1/projects/{id}': { confirm: 'nope' },
  'POST /api/v1/projects/{id}/members': { userId: randomUUID() },
  'POST /api/v1/projects/{id}/goals': { slug: 'g', name: 'G', type: 'counter' },
  'PUT /api/v1/projects/{id}/environment/{name}': { value: 'v' },
  'POST /api/v1/projects/{id}/modules': { moduleCode: 'webhooks' },
  'POST /api/v1/projects/{id}/workers': { name: 'W', slug: 'w2' },
  'PATCH /api/v1/projects/{id}/workers/{workerId}': { name: 'W3' },
  'PUT /api/v1/projects/{id}/workers/{workerId}/draft': { source: runBody('return 1;') },
  'POST /api/v1/projects/{id}/workers/{workerId}/deploy': { source: runBody('return 2;') },
  'POST /api/v1/projects/{id}/workers/{workerId}/run': { input: 1 },
  'POST /api/v1/projects/{id}/workers/{workerId}/dry-run': {
    events: { last: 1 },
    eventTypes: ['GoalIncremented'],
  },
  'PUT /api/v1/projects/{id}/collections/{collection}/schema': { schema: { type: 'object' } },
  'POST /api/v1/projects/{id}/webhooks': { url: 'https://hooks.example.com/m3m' },
  'PATCH /api/v1/projects/{id}/webhooks/{webhookId}': { description: 'CRM' },
  'POST /api/v1/projects/{id}/webhooks/{webhookId}/recover': { since: '2026-01-01T00:00:00.000Z' },
};

interface Operation {
  method: string;
  path: string;
  hasBody: boolean;
}

describe('project-scoped routes and who may know a project exists', () => {
  let server: TestServer;
  let outsider: string;
  let member: string;
  let operations: Operation[];
  let real: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer();
    const root = await server.signInAsRoot();
    const project = await createProject(server, root, 'secret-project');
    outsider = (
      await server.createUser(root, { email: 'outsider@example.com', permissions: ['create_projects'] })
    ).token;
    const memberUser = await server.createUser(root, { email: 'member@example.com' });
    member = memberUser.token;
    expect(
      (
        await server.request('POST', `/api/v1/projects/${project.id}/members`, {
          token: root,
          body: { userId: memberUser.user.id },
        })
      ).status,
    ).toBe(200);
    await server.request('PUT', `/api/v1/projects/${project.id}/environment/MODE`, {
      token: root,
      body: { value: 'x' },
    });
    const worker = await createWorker(
      server,
      root,
      project.id,
      { name: 'W', slug: 'w' },
      runBody('return 1;'),
    );
    const ran = await server.request('POST', `/api/v1/projects/${project.id}/workers/${worker.id}/run`, {
      token: root,
    });
    const { invocationId } = (await ran.json()) as { invocationId: string };
    real = {
      id: project.id,
      workerId: worker.id,
      version: '1',
      invocationId,
      name: 'MODE',
      moduleCode: 'webhooks',
      userId: memberUser.user.id,
      collection: 'notes',
      documentId: 'n1',
      // Well-formed ids are enough: an outsider must be refused before anything looks them up.
      webhookId: randomUUID(),
      messageId: 'msg_outsider',
    };
    const doc = (await (await server.request('GET', '/api/docs/json')).json()) as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/v1/projects/{id}'))
      .flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(([method]) => method !== 'head')
          .map(([method, op]) => ({
            method: method.toUpperCase(),
            path,
            hasBody: op.requestBody !== undefined,
          })),
      );
  });
  afterAll(() => server.close());

  const call = async (op: Operation, token: string, projectId: string) => {
    const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'id' ? projectId : real[name]!));
    const body = BODIES[`${op.method} ${op.path}`];
    const response = await server.request(op.method, url, { token, ...(body === undefined ? {} : { body }) });
    if (/event-stream/.test(response.headers.get('content-type') ?? '')) {
      await response.body?.cancel();
      return { status: response.status, code: '' };
    }
    const json = (await response.json().catch(() => ({}))) as { code?: string };
    return { status: response.status, code: json.code ?? '' };
  };

  it('gives every route with a body a valid sample (so that the check below reaches the handlers)', () => {
    expect(operations.length).toBeGreaterThan(25);
    const missing = operations.filter((op) => op.hasBody && !(`${op.method} ${op.path}` in BODIES));
    expect(missing.map((op) => `${op.method} ${op.path}`)).toEqual([]);
  });

  it('answers an outsider 404 project_not_found alike for a project that exists and one that does not', async () => {
    const differ: string[] = [];
    for (const op of operations) {
      const existing = await call(op, outsider, real.id!);
      const missing = await call(op, outsider, randomUUID());
      const where = `${op.method} ${op.path}`;
      if (existing.status !== 404 || existing.code !== 'project_not_found') {
        differ.push(`${where}: existing project → ${existing.status} ${existing.code}`);
      }
      if (missing.status !== existing.status || missing.code !== existing.code) {
        differ.push(
          `${where}: ${existing.status} ${existing.code} vs missing ${missing.status} ${missing.code}`,
        );
      }
    }
    expect(differ, differ.join('\n')).toEqual([]);
  });

  it('tells a member who sees the project that they may not manage it (403), rather than hiding it', async () => {
    for (const route of ['POST /api/v1/projects/{id}/modules', 'PATCH /api/v1/projects/{id}']) {
      const op = operations.find((o) => `${o.method} ${o.path}` === route)!;
      expect([route, await call(op, member, real.id!)]).toEqual([
        route,
        { status: 403, code: 'not_project_manager' },
      ]);
    }
  });
});
