import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeWorker } from '../../application/runtime/invokeWorker.ts';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { runBody } from '../kit/sandbox.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

/**
 * The worker routes × every kind of caller → the status they get. Readers (members, users granted the project)
 * see workers, versions, logs and statistics and run them; the owner and global admins change them; anyone
 * else gets 404 (the project's existence is not revealed). Each cell acts on a fresh project with one worker
 * deployed twice and run once, so that no cell depends on another.
 */
const ACTORS = ['anonymous', 'outsider', 'member', 'granted', 'owner', 'admin'] as const;
type ActorName = (typeof ACTORS)[number];

//                                                                            anon outsider member granted owner admin
const POLICY: [route: string, ...statuses: number[]][] = [
  [
    'GET /api/v1/projects/{id}/workers',
    /*                                    */ 401,
    404,
    200,
    200,
    200,
    200,
  ],
  [
    'POST /api/v1/projects/{id}/workers',
    /*                                   */ 401,
    404,
    403,
    403,
    201,
    201,
  ],
  [
    'GET /api/v1/projects/{id}/workers/{workerId}',
    /*                         */ 401,
    404,
    200,
    200,
    200,
    200,
  ],
  [
    'PATCH /api/v1/projects/{id}/workers/{workerId}',
    /*                       */ 401,
    404,
    403,
    403,
    200,
    200,
  ],
  [
    'DELETE /api/v1/projects/{id}/workers/{workerId}',
    /*                      */ 401,
    404,
    403,
    403,
    204,
    204,
  ],
  [
    'PUT /api/v1/projects/{id}/workers/{workerId}/draft',
    /*                   */ 401,
    404,
    403,
    403,
    200,
    200,
  ],
  [
    'POST /api/v1/projects/{id}/workers/{workerId}/deploy',
    /*                 */ 401,
    404,
    403,
    403,
    201,
    201,
  ],
  [
    'GET /api/v1/projects/{id}/workers/{workerId}/versions',
    /*                */ 401,
    404,
    200,
    200,
    200,
    200,
  ],
  [
    'GET /api/v1/projects/{id}/workers/{workerId}/versions/{version}',
    /*      */ 401,
    404,
    200,
    200,
    200,
    200,
  ],
  ['POST /api/v1/projects/{id}/workers/{workerId}/versions/{version}/activate', 401, 404, 403, 403, 200, 200],
  ['POST /api/v1/projects/{id}/workers/{workerId}/dry-run', 401, 404, 403, 403, 200, 200],
  [
    'POST /api/v1/projects/{id}/workers/{workerId}/run',
    /*                    */ 401,
    404,
    200,
    200,
    200,
    200,
  ],
  [
    'GET /api/v1/projects/{id}/workers/{workerId}/invocations',
    /*             */ 401,
    404,
    200,
    200,
    200,
    200,
  ],
  [
    'GET /api/v1/projects/{id}/workers/{workerId}/invocations/stream',
    /*      */ 401,
    404,
    200,
    200,
    200,
    200,
  ],
  ['POST /api/v1/projects/{id}/workers/{workerId}/resume', 401, 404, 403, 403, 200, 200],
  [
    'GET /api/v1/projects/{id}/workers/{workerId}/deliveries',
    /*              */ 401,
    404,
    200,
    200,
    200,
    200,
  ],
  [
    'GET /api/v1/projects/{id}/workers/{workerId}/stats',
    /*                   */ 401,
    404,
    200,
    200,
    200,
    200,
  ],
  [
    'GET /api/v1/projects/{id}/invocations',
    /*                                */ 401,
    404,
    200,
    200,
    200,
    200,
  ],
  [
    'GET /api/v1/projects/{id}/invocations/{invocationId}',
    /*                 */ 401,
    404,
    200,
    200,
    200,
    200,
  ],
  [
    'GET /api/v1/projects/{id}/runtime.d.ts',
    /*                               */ 401,
    404,
    200,
    200,
    200,
    200,
  ],
];

const CELLS = POLICY.flatMap(([route, ...statuses]) =>
  ACTORS.map((actor, i) => ({ route, actor, status: statuses[i]! })),
);

interface Fixture {
  projectId: string;
  workerId: string;
  invocationId: string;
}

describe('workers: access matrix', () => {
  let server: TestServer;
  let closed = false;
  const tokens = {} as Record<ActorName, string | null>;
  let memberId: string;
  let grantedId: string;
  let seq = 0;

  beforeAll(async () => {
    server = await startTestServer({ sseHeartbeatMs: 100 });
    await server.createAdmin(ROOT.email, ROOT.password);
    tokens.anonymous = null;
    tokens.admin = await server.login(ROOT.email, ROOT.password);
    for (const [name, permissions] of [
      ['outsider', ['create_projects']],
      ['member', []],
      ['granted', []],
      ['owner', ['create_projects']],
    ] as const) {
      const created = await server.createUser(tokens.admin, {
        email: `${name}@example.com`,
        permissions: [...permissions],
      });
      tokens[name] = created.token;
      if (name === 'member') memberId = created.user.id;
      if (name === 'granted') grantedId = created.user.id;
    }
  });
  afterAll(async () => {
    if (!closed) await server.close();
  });

  async function fixture(): Promise<Fixture> {
    const owner = tokens.owner!;
    const project = await createProject(server, owner, `p-${++seq}`);
    await expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/members`, {
        token: owner,
        body: { userId: memberId },
      }),
      200,
    );
    await expectStatus(
      send(server, 'POST', `/api/v1/users/${grantedId}/projects`, {
        token: tokens.admin,
        body: { projectId: project.id },
      }),
      200,
    );
    const worker = await createWorker(
      server,
      owner,
      project.id,
      { name: 'W', slug: 'w' },
      runBody('return 1;'),
    );
    await expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/workers/${worker.id}/deploy`, {
        token: owner,
        body: { source: runBody('return 2;') },
      }),
      201,
    );
    const invocation = await invokeWorker(server.m3m.workers, {
      workerId: worker.id,
      trigger: { kind: 'manual' },
      handler: 'run',
    });
    return { projectId: project.id, workerId: worker.id, invocationId: invocation.id };
  }

  async function call(
    route: string,
    actor: ActorName,
  ): Promise<{ status: number; body: string; type: string }> {
    const token = tokens[actor];
    const f = await fixture();
    const p = `/api/v1/projects/${f.projectId}`;
    const w = `${p}/workers/${f.workerId}`;
    const request = async (method: string, path: string, body?: unknown) => {
      const response = await server.request(method, path, { token, ...(body === undefined ? {} : { body }) });
      return {
        status: response.status,
        body: await response.text(),
        type: response.headers.get('content-type') ?? '',
      };
    };
    switch (route) {
      case 'GET /api/v1/projects/{id}/workers':
        return request('GET', `${p}/workers`);
      case 'POST /api/v1/projects/{id}/workers':
        return request('POST', `${p}/workers`, { name: 'New', slug: 'new' });
      case 'GET /api/v1/projects/{id}/workers/{workerId}':
        return request('GET', w);
      case 'PATCH /api/v1/projects/{id}/workers/{workerId}':
        return request('PATCH', w, { name: 'Renamed', triggers: { http: true } });
      case 'DELETE /api/v1/projects/{id}/workers/{workerId}':
        return request('DELETE', w);
      case 'PUT /api/v1/projects/{id}/workers/{workerId}/draft':
        return request('PUT', `${w}/draft`, { source: runBody('return 3;') });
      case 'POST /api/v1/projects/{id}/workers/{workerId}/deploy':
        return request('POST', `${w}/deploy`, { source: runBody('return 4;') });
      case 'GET /api/v1/projects/{id}/workers/{workerId}/versions':
        return request('GET', `${w}/versions`);
      case 'GET /api/v1/projects/{id}/workers/{workerId}/versions/{version}':
        return request('GET', `${w}/versions/1`);
      case 'POST /api/v1/projects/{id}/workers/{workerId}/versions/{version}/activate':
        return request('POST', `${w}/versions/1/activate`);
      case 'POST /api/v1/projects/{id}/workers/{workerId}/dry-run':
        return request('POST', `${w}/dry-run`, { events: { last: 1 }, eventTypes: ['GoalIncremented'] });
      case 'POST /api/v1/projects/{id}/workers/{workerId}/run':
        return request('POST', `${w}/run`, { input: { a: 1 } });
      case 'GET /api/v1/projects/{id}/workers/{workerId}/invocations':
        return request('GET', `${w}/invocations`);
      case 'GET /api/v1/projects/{id}/workers/{workerId}/invocations/stream': {
        const controller = new AbortController();
        const response = await fetch(`${server.base}${w}/invocations/stream`, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
          signal: controller.signal,
        });
        const type = response.headers.get('content-type') ?? '';
        // A stream never ends by itself: read the first chunk, then hang up.
        const body = response.ok
          ? new TextDecoder().decode((await response.body!.getReader().read()).value)
          : await response.text();
        controller.abort();
        return { status: response.status, body, type };
      }
      case 'POST /api/v1/projects/{id}/workers/{workerId}/resume':
        return request('POST', `${w}/resume`);
      case 'GET /api/v1/projects/{id}/workers/{workerId}/deliveries':
        return request('GET', `${w}/deliveries`);
      case 'GET /api/v1/projects/{id}/workers/{workerId}/stats':
        return request('GET', `${w}/stats`);
      case 'GET /api/v1/projects/{id}/invocations':
        return request('GET', `${p}/invocations`);
      case 'GET /api/v1/projects/{id}/invocations/{invocationId}':
        return request('GET', `${p}/invocations/${f.invocationId}`);
      case 'GET /api/v1/projects/{id}/runtime.d.ts':
        return request('GET', `${p}/runtime.d.ts`);
      default:
        throw new Error(`No request for ${route}`);
    }
  }

  it('covers every worker, invocation and runtime route of the OpenAPI document', async () => {
    const doc = (await (await server.request('GET', '/api/docs/json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths)
      .filter(([path]) => /^\/api\/v1\/projects\/\{id\}\/(workers|invocations|runtime\.d\.ts)/.test(path))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(POLICY.map(([route]) => route).sort());
    // The HTTP trigger is documented at the root, with the API key as its security.
    expect(Object.keys(doc.paths)).toContain('/run/{projectSlug}/{workerSlug}');
  });

  it.each(CELLS)('$route as $actor → $status', async ({ route, actor, status }) => {
    const response = await call(route, actor);
    expect(response.status, response.body).toBe(status);
    if (status >= 400) expect(response.type).toMatch(/^application\/problem\+json/);
  });

  it('a member sees the result of a refused change unchanged', async () => {
    const f = await fixture();
    const w = `/api/v1/projects/${f.projectId}/workers/${f.workerId}`;
    await expectStatus(send(server, 'PATCH', w, { token: tokens.member, body: { enabled: false } }), 403);
    await expectStatus(send(server, 'POST', `${w}/versions/1/activate`, { token: tokens.granted }), 403);
    const worker = await expectStatus(send(server, 'GET', w, { token: tokens.member }), 200);
    expect(worker.json).toMatchObject({ enabled: true, activeVersion: 2 });
  });

  // Last: closes the server.
  it('keeps invocation streams alive with heartbeats, and ends them when the server closes', async () => {
    const f = await fixture();
    const response = await fetch(
      `${server.base}/api/v1/projects/${f.projectId}/workers/${f.workerId}/invocations/stream`,
      { headers: { authorization: `Bearer ${tokens.member}` } },
    );
    const reader = response.body!.getReader();
    let received = '';
    while (!/: heartbeat /.test(received)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended early: ${received}`);
      received += new TextDecoder().decode(value);
    }
    const closing = server.close();
    closed = true;
    let done = false;
    while (!done) done = (await reader.read()).done;
    await closing;
    expect(done).toBe(true);
  });
});
