import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelCollection } from '../../application/runtime/models.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

/**
 * The project, goal, environment and collection routes × every kind of caller → the status they get, extending the
 * identity matrix. Each cell acts on a fresh project (owned by `owner`, with `member` as a member, one goal,
 * one variable) so that no cell depends on another. A project the caller cannot see is a 404: its existence
 * is not revealed; one they can see but not change is a 403. `granted` holds the project in their project list
 * (identity's grant), which counts like membership.
 */
const ACTORS = ['anonymous', 'plain', 'creator', 'member', 'granted', 'owner', 'admin', 'root'] as const;
type ActorName = (typeof ACTORS)[number];

//                                                             anon plain creator member granted owner admin root
const POLICY: [route: string, ...statuses: number[]][] = [
  ['GET /api/v1/colors', /*                                */ 200, 200, 200, 200, 200, 200, 200, 200],
  ['GET /api/v1/projects', /*                              */ 401, 200, 200, 200, 200, 200, 200, 200],
  ['POST /api/v1/projects', /*                             */ 401, 403, 201, 403, 403, 201, 201, 201],
  ['GET /api/v1/projects/{id}', /*                         */ 401, 404, 404, 200, 200, 200, 200, 200],
  ['PATCH /api/v1/projects/{id}', /*                       */ 401, 404, 404, 403, 403, 200, 200, 200],
  ['DELETE /api/v1/projects/{id}', /*                      */ 401, 404, 404, 403, 403, 204, 204, 204],
  ['POST /api/v1/projects/{id}/api-key', /*                */ 401, 404, 404, 403, 403, 200, 200, 200],
  ['GET /api/v1/projects/{id}/members', /*                 */ 401, 404, 404, 403, 403, 200, 200, 200],
  ['POST /api/v1/projects/{id}/members', /*                */ 401, 404, 404, 403, 403, 200, 200, 200],
  ['DELETE /api/v1/projects/{id}/members/{userId}', /*     */ 401, 404, 404, 403, 403, 200, 200, 200],
  ['GET /api/v1/projects/{id}/goals', /*                   */ 401, 404, 404, 200, 200, 200, 200, 200],
  ['POST /api/v1/projects/{id}/goals', /*                  */ 401, 404, 404, 403, 403, 201, 201, 201],
  ['GET /api/v1/goals', /*                                 */ 401, 200, 200, 200, 200, 200, 200, 200],
  ['POST /api/v1/goals', /*                                */ 401, 403, 403, 403, 403, 403, 201, 201],
  ['GET /api/v1/goals/{goal}', /*                          */ 401, 404, 404, 200, 200, 200, 200, 200],
  ['GET /api/v1/goals/{goal} (global)', /*                 */ 401, 404, 404, 200, 200, 200, 200, 200],
  ['PATCH /api/v1/goals/{goal}', /*                        */ 401, 404, 404, 403, 403, 200, 200, 200],
  ['PATCH /api/v1/goals/{goal} (global)', /*               */ 401, 404, 404, 403, 403, 403, 200, 200],
  ['DELETE /api/v1/goals/{goal}', /*                       */ 401, 404, 404, 403, 403, 204, 204, 204],
  ['DELETE /api/v1/goals/{goal} (global)', /*              */ 401, 404, 404, 403, 403, 403, 204, 204],
  ['POST /api/v1/goals/{goal}/increment', /*               */ 401, 404, 404, 200, 200, 200, 200, 200],
  ['POST /api/v1/goals/{goal}/increment (global)', /*      */ 401, 404, 404, 200, 200, 200, 200, 200],
  ['GET /api/v1/goals/{goal}/stats', /*                    */ 401, 404, 404, 200, 200, 200, 200, 200],
  ['GET /api/v1/projects/{id}/environment', /*             */ 401, 404, 404, 200, 200, 200, 200, 200],
  ['PUT /api/v1/projects/{id}/environment/{name}', /*      */ 401, 404, 404, 403, 403, 200, 200, 200],
  ['DELETE /api/v1/projects/{id}/environment/{name}', /*   */ 401, 404, 404, 403, 403, 204, 204, 204],
  ['GET /api/v1/projects/{id}/collections', /*             */ 401, 404, 404, 200, 200, 200, 200, 200],
  ['GET /api/v1/projects/{id}/usage', /*                   */ 401, 404, 404, 200, 200, 200, 200, 200],
  ['GET /api/v1/projects/{id}/collections/{collection}/documents', 401, 404, 404, 200, 200, 200, 200, 200],
  [
    'GET /api/v1/projects/{id}/collections/{collection}/documents/{documentId}',
    401,
    404,
    404,
    200,
    200,
    200,
    200,
    200,
  ],
  [
    'DELETE /api/v1/projects/{id}/collections/{collection}/documents/{documentId}',
    401,
    404,
    404,
    403,
    403,
    204,
    204,
    204,
  ],
  ['GET /api/v1/projects/{id}/collections/{collection}/schema', 401, 404, 404, 200, 200, 200, 200, 200],
  ['PUT /api/v1/projects/{id}/collections/{collection}/schema', 401, 404, 404, 403, 403, 200, 200, 200],
  ['DELETE /api/v1/projects/{id}/collections/{collection}/schema', 401, 404, 404, 403, 403, 204, 204, 204],
  ['GET /api/v1/projects/{id}/event-types', /*             */ 401, 404, 404, 200, 200, 200, 200, 200],
  ['GET /api/v1/projects/{id}/audit', /*                   */ 401, 404, 404, 403, 403, 200, 200, 200],
  ['GET /api/v1/projects/{id}/audit/export', /*            */ 401, 404, 404, 403, 403, 200, 200, 200],
  ['GET /api/v1/projects/{id}/audit/goal-stats', /*        */ 401, 404, 404, 403, 403, 200, 200, 200],
];

interface Cell {
  route: string;
  actor: ActorName;
  status: number;
}
const CELLS: Cell[] = POLICY.flatMap(([route, ...statuses]) =>
  ACTORS.map((actor, i) => ({ route, actor, status: statuses[i]! })),
);

interface Fixture {
  projectId: string;
  slug: string;
  goal: string;
  globalGoal: string;
}

describe('projects, goals and environment: access matrix', () => {
  let server: TestServer;
  const tokens = {} as Record<ActorName, string | null>;
  let memberId: string;
  /** Has each fixture's project in their project list (identity's grant), without being a member. */
  let grantedId: string;
  let spareUserId: string;
  let seq = 0;

  beforeAll(async () => {
    server = await startTestServer();
    await server.createAdmin(ROOT.email, ROOT.password);
    await server.createAdmin('admin@example.com', 'admin-password-1');
    tokens.anonymous = null;
    tokens.root = await server.login(ROOT.email, ROOT.password);
    tokens.admin = await server.login('admin@example.com', 'admin-password-1');
    const users: [ActorName, string[]][] = [
      ['plain', []],
      ['creator', ['create_projects']],
      ['member', []],
      ['granted', []],
      ['owner', ['create_projects']],
    ];
    for (const [name, permissions] of users) {
      const created = await server.createUser(tokens.root!, { email: `${name}@example.com`, permissions });
      tokens[name] = created.token;
      if (name === 'member') memberId = created.user.id;
      if (name === 'granted') grantedId = created.user.id;
    }
    spareUserId = (await server.createUser(tokens.root!, { email: 'spare@example.com' })).user.id;
  });
  afterAll(() => server.close());

  async function ok(response: Promise<Response>, status: number): Promise<Record<string, unknown>> {
    const r = await response;
    const text = await r.text();
    expect(r.status, text).toBe(status);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  /** A project owned by `owner`, `member` a member, with a goal, a variable, and a global goal allowing it. */
  async function fixture(): Promise<Fixture> {
    const owner = tokens.owner!;
    const slug = `p-${++seq}`;
    const project = await ok(
      server.request('POST', '/api/v1/projects', { token: owner, body: { name: 'P', slug } }),
      201,
    );
    const projectId = project.id as string;
    await ok(
      server.request('POST', `/api/v1/projects/${projectId}/members`, {
        token: owner,
        body: { userId: memberId },
      }),
      200,
    );
    await ok(
      server.request('POST', `/api/v1/users/${grantedId}/projects`, {
        token: tokens.root,
        body: { projectId },
      }),
      200,
    );
    const goal = await ok(
      server.request('POST', `/api/v1/projects/${projectId}/goals`, {
        token: owner,
        body: { slug: 'visits', name: 'Visits', type: 'daily_counter' },
      }),
      201,
    );
    await ok(
      server.request('PUT', `/api/v1/projects/${projectId}/environment/TOKEN`, {
        token: owner,
        body: { value: 's3cret', secret: true },
      }),
      200,
    );
    const global = await ok(
      server.request('POST', '/api/v1/goals', {
        token: tokens.admin,
        body: { slug: `g_${seq}`, name: 'Global', type: 'counter', allowedProjectIds: [projectId] },
      }),
      201,
    );
    // Worker data: a document a worker would have stored, and a model.
    await server.m3m.readStore
      .collection(modelCollection(projectId, 'notes'))
      .insert({ id: 'n1', text: 'hi' });
    await ok(
      server.request('PUT', `/api/v1/projects/${projectId}/collections/notes/schema`, {
        token: owner,
        body: { schema: { type: 'object', properties: { text: { type: 'string' } } } },
      }),
      200,
    );
    return { projectId, slug, goal: goal.slug as string, globalGoal: global.slug as string };
  }

  async function call(route: string, actor: ActorName): Promise<Response> {
    const token = tokens[actor];
    const f = await fixture();
    const p = `/api/v1/projects/${f.projectId}`;
    switch (route) {
      case 'GET /api/v1/colors':
        return server.request('GET', '/api/v1/colors', { token });
      case 'GET /api/v1/projects':
        return server.request('GET', '/api/v1/projects', { token });
      case 'POST /api/v1/projects':
        return server.request('POST', '/api/v1/projects', {
          token,
          body: { name: 'New', slug: `new-${++seq}` },
        });
      case 'GET /api/v1/projects/{id}':
        return server.request('GET', p, { token });
      case 'PATCH /api/v1/projects/{id}':
        return server.request('PATCH', p, { token, body: { name: 'Renamed', color: 'red' } });
      case 'DELETE /api/v1/projects/{id}':
        return server.request('DELETE', p, { token, body: { confirm: f.slug } });
      case 'POST /api/v1/projects/{id}/api-key':
        return server.request('POST', `${p}/api-key`, { token });
      case 'GET /api/v1/projects/{id}/members':
        return server.request('GET', `${p}/members`, { token });
      case 'POST /api/v1/projects/{id}/members':
        return server.request('POST', `${p}/members`, { token, body: { userId: spareUserId } });
      case 'DELETE /api/v1/projects/{id}/members/{userId}':
        return server.request('DELETE', `${p}/members/${memberId}`, { token });
      case 'GET /api/v1/projects/{id}/goals':
        return server.request('GET', `${p}/goals`, { token });
      case 'POST /api/v1/projects/{id}/goals':
        return server.request('POST', `${p}/goals`, {
          token,
          body: { slug: 'orders', name: 'Orders', type: 'counter' },
        });
      case 'GET /api/v1/goals':
        return server.request('GET', '/api/v1/goals', { token });
      case 'POST /api/v1/goals':
        return server.request('POST', '/api/v1/goals', {
          token,
          body: { slug: `n_${++seq}`, name: 'N', type: 'counter', allowedProjectIds: [f.projectId] },
        });
      case 'GET /api/v1/goals/{goal}':
        return server.request('GET', `/api/v1/goals/${f.goal}`, { token });
      case 'GET /api/v1/goals/{goal} (global)':
        return server.request('GET', `/api/v1/goals/${f.globalGoal}`, { token });
      case 'PATCH /api/v1/goals/{goal}':
        return server.request('PATCH', `/api/v1/goals/${f.goal}`, { token, body: { name: 'Edited' } });
      case 'PATCH /api/v1/goals/{goal} (global)':
        return server.request('PATCH', `/api/v1/goals/${f.globalGoal}`, { token, body: { color: 'pink' } });
      case 'DELETE /api/v1/goals/{goal}':
        return server.request('DELETE', `/api/v1/goals/${f.goal}`, { token });
      case 'DELETE /api/v1/goals/{goal} (global)':
        return server.request('DELETE', `/api/v1/goals/${f.globalGoal}`, { token });
      case 'POST /api/v1/goals/{goal}/increment':
        return server.request('POST', `/api/v1/goals/${f.goal}/increment`, { token, body: { by: 2 } });
      case 'POST /api/v1/goals/{goal}/increment (global)':
        return server.request('POST', `/api/v1/goals/${f.globalGoal}/increment`, { token });
      case 'GET /api/v1/goals/{goal}/stats':
        return server.request('GET', `/api/v1/goals/${f.goal}/stats`, { token });
      case 'GET /api/v1/projects/{id}/environment':
        return server.request('GET', `${p}/environment`, { token });
      case 'PUT /api/v1/projects/{id}/environment/{name}':
        return server.request('PUT', `${p}/environment/MODE`, { token, body: { value: 'on' } });
      case 'DELETE /api/v1/projects/{id}/environment/{name}':
        return server.request('DELETE', `${p}/environment/TOKEN`, { token });
      case 'GET /api/v1/projects/{id}/collections':
        return server.request('GET', `${p}/collections`, { token });
      case 'GET /api/v1/projects/{id}/usage':
        return server.request('GET', `${p}/usage`, { token });
      case 'GET /api/v1/projects/{id}/event-types':
        return server.request('GET', `${p}/event-types`, { token });
      case 'GET /api/v1/projects/{id}/audit':
        return server.request('GET', `${p}/audit`, { token });
      case 'GET /api/v1/projects/{id}/audit/goal-stats':
        return server.request('GET', `${p}/audit/goal-stats`, { token });
      case 'GET /api/v1/projects/{id}/audit/export':
        return server.request('GET', `${p}/audit/export?format=csv`, { token });
      case 'GET /api/v1/projects/{id}/collections/{collection}/documents':
        return server.request('GET', `${p}/collections/notes/documents`, { token });
      case 'GET /api/v1/projects/{id}/collections/{collection}/documents/{documentId}':
        return server.request('GET', `${p}/collections/notes/documents/n1`, { token });
      case 'DELETE /api/v1/projects/{id}/collections/{collection}/documents/{documentId}':
        return server.request('DELETE', `${p}/collections/notes/documents/n1`, { token });
      case 'GET /api/v1/projects/{id}/collections/{collection}/schema':
        return server.request('GET', `${p}/collections/notes/schema`, { token });
      case 'PUT /api/v1/projects/{id}/collections/{collection}/schema':
        return server.request('PUT', `${p}/collections/notes/schema`, {
          token,
          body: { schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
        });
      case 'DELETE /api/v1/projects/{id}/collections/{collection}/schema':
        return server.request('DELETE', `${p}/collections/notes/schema`, { token });
      default:
        throw new Error(`No request for ${route}`);
    }
  }

  it('covers every project, goal, environment, collection, audit and colour route of the OpenAPI document', async () => {
    const doc = (await (await server.request('GET', '/api/docs/json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths)
      // A project's modules: test/modules/accessMatrix.test.ts; its workers: test/workers/accessMatrix.test.ts;
      // its webhooks: test/webhooks/accessMatrix.test.ts.
      .filter(
        ([path]) =>
          /^\/api\/v1\/(projects|goals|colors)\b/.test(path) &&
          !/\/(modules|workers|invocations|webhooks|runtime\.d\.ts)\b/.test(path),
      )
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    const covered = new Set(POLICY.map(([route]) => route.replace(/ \(global\)$/, '')));
    expect(documented.sort()).toEqual([...covered].sort());
  });

  it.each(CELLS)('$route as $actor → $status', async ({ route, actor, status }) => {
    const response = await call(route, actor);
    const body = await response.text();
    expect(response.status, body).toBe(status);
    if (status >= 400) expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(body).not.toContain('s3cret');
  });
});
