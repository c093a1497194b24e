import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Fuzz-style robustness: every route of the OpenAPI document (GET /api/docs/json), called as the root admin
 * with malformed bodies, bad path parameters and bad query strings. Whatever the input, the answer is never a
 * 5xx, every 4xx is `application/problem+json`, and a refused request leaves the event store's head where it
 * was. Every route is in: the workers' (with a deployed worker that echoes what it gets), the invocations',
 * the HTTP trigger's (called with the project's API key), the modules' and the licences'; a test compares the
 * document with Fastify's own table of routes, so a route left out of the document fails here.
 */

interface Operation {
  method: string;
  /** OpenAPI form: `/api/v1/projects/{id}`. */
  path: string;
  params: string[];
  query: string[];
  /** Property names of the JSON body, when the route takes one. */
  bodyProps: string[] | null;
}

interface Schema {
  properties?: Record<string, unknown>;
  anyOf?: Schema[];
  oneOf?: Schema[];
}

function propertiesOf(schema: Schema | undefined): string[] {
  if (!schema) return [];
  const own = Object.keys(schema.properties ?? {});
  const nested = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].flatMap(propertiesOf);
  return [...new Set([...own, ...nested])];
}

const LONG = 'x'.repeat(100_000);
const DEEP = (() => {
  let value: unknown = 'bottom';
  for (let i = 0; i < 2_000; i++) value = { a: value };
  return value;
})();

/** Values of the wrong type, shape or size for any field. */
const JUNK_VALUES: [string, unknown][] = [
  ['null', null],
  ['true', true],
  ['zero', 0],
  ['negative', -1],
  ['negative huge', -1e308],
  ['huge', 1e308],
  ['unsafe integer', 2 ** 63],
  ['fraction', 1.5],
  ['empty string', ''],
  ['blank string', '   '],
  ['long string', LONG],
  ['lone surrogate', '\ud800x\udfff'],
  ['nul and controls', 'a\u0000b\u001f\u007f'],
  ['unicode', 'ünïcödé-🙂-ا-𝔘'],
  ['path traversal', '../../etc/passwd'],
  ['array', ['a', 1, null]],
  ['array of objects', [{ a: 1 }, { __proto__: 1 }]],
  ['empty object', {}],
  ['object', { a: 1, b: [1, 2] }],
  ['deep object', DEEP],
];

/** Whole bodies that are not what any route takes, as raw text (content-type JSON unless said). */
const RAW_BODIES: [string, string | Uint8Array, string?][] = [
  ['null', 'null'],
  ['array', '[1,2,3]'],
  ['string', '"text"'],
  ['number', '42'],
  ['empty object', '{}'],
  ['empty body', ''],
  ['truncated JSON', '{"a": '],
  ['not JSON', 'this is not json'],
  ['__proto__ key', '{"__proto__": {"polluted": true}, "name": "x"}'],
  ['constructor.prototype key', '{"constructor": {"prototype": {"polluted": true}}}'],
  [
    'invalid UTF-8',
    new Uint8Array([
      0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d,
    ]),
  ],
  ['deep arrays', `${'['.repeat(5_000)}${']'.repeat(5_000)}`],
  ['over the body limit', `{"name": "${'x'.repeat(1_200_000)}"}`],
  ['plain text', 'name=x', 'text/plain'],
  ['form', 'name=x&slug=y', 'application/x-www-form-urlencoded'],
];

/** Path parameter values, already as they go into the URL. */
const BAD_PARAMS: [string, string][] = [
  ['long', 'a'.repeat(4_000)],
  ['unicode', encodeURIComponent('ünïcödé-🙂')],
  ['encoded traversal', encodeURIComponent('../../etc/passwd')],
  ['dot dot', '..'],
  ['encoded slash', 'a%2Fb'],
  ['broken percent-encoding', '%E0%A4%A'],
  ['lone percent', '%'],
  ['encoded NUL', 'a%00b'],
  ['__proto__', '__proto__'],
  ['constructor', 'constructor'],
  ['space', 'a%20b'],
  ['upper-case UUID', 'AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA'],
  ['nil UUID', '00000000-0000-0000-0000-000000000000'],
  ['negative number', '-1'],
  ['huge number', '1e308'],
];

/** Query strings, appended as they are (after `?`); `{q}` is a documented query parameter. */
const BAD_QUERIES: [string, string][] = [
  ['repeated', '{q}=1&{q}=2'],
  ['long', `{q}=${'a'.repeat(4_000)}`],
  ['negative', '{q}=-1'],
  ['huge', '{q}=1e308'],
  ['fraction', '{q}=1.5'],
  ['empty', '{q}='],
  ['unicode', `{q}=${encodeURIComponent('ünï🙂')}`],
  ['broken percent-encoding', '{q}=%E0%A4%A'],
  ['bracket syntax', '{q}[a]=1&{q}[]=2'],
  ['__proto__', '__proto__[polluted]=1&__proto__=x&constructor[prototype][p]=1'],
  ['unknown parameter', 'unknown=1&{q}=2026-01-01'],
  ['invalid date', '{q}=2026-02-30'],
  ['garbage', '{q}=garbage'],
  ['base64 of {}', '{q}=e30'],
];

/** What a paged route's `cursor` must refuse with 400 naming `querystring.cursor` (issue 11, defect 1). */
const BAD_CURSORS = [
  'garbage',
  'e30',
  Buffer.from('null').toString('base64url'),
  Buffer.from('{"k":["-startedAt","id"],"v":[{"$gt":""},"x"]}').toString('base64url'),
  Buffer.from('{"k":["id"],"v":["x"]}').toString('base64url'),
  '%E0%A4%A',
];

/** A worker with every trigger, which answers with what it got: junk in, a real answer out. */
const ECHO_WORKER = `export default {
  async fetch(request) { return { status: 200, body: { method: request.method, size: request.body.length } }; },
  async run(input) { return { input }; },
  async onEvent(event) { m3m.log.info(event.type); },
  async scheduled() {},
};
`;

describe('robustness: malformed input on every documented route', () => {
  let server: TestServer;
  let token: string;
  let operations: Operation[];
  /** Real ids, so that requests whose junk is only in one place reach the handlers. */
  let real: Record<string, string>;
  let projectId: string;
  let apiKey: string;
  const fivexx: string[] = [];
  const notProblem: string[] = [];
  const wrote: string[] = [];
  const badCodes: string[] = [];
  const unnamed: string[] = [];
  let sent = 0;

  beforeAll(async () => {
    // Thousands of junk keys from one address: the guessing limit (tested in test/tenancy/) would answer 429.
    server = await startTestServer({ env: { M3M_API_KEY_MAX_FAILURES: '1000000' } });
    token = await server.signInAsRoot();
    const other = await server.createUser(token, {
      email: 'target@example.com',
      permissions: ['create_projects'],
    });
    const project = await createProject(server, token, 'fuzz', { name: 'Fuzz', color: 'teal' });
    const goal = await server.request('POST', `/api/v1/projects/${project.id}/goals`, {
      token,
      body: { slug: 'hits', name: 'Hits', type: 'daily_counter' },
    });
    expect(goal.status).toBe(201);
    const env = await server.request('PUT', `/api/v1/projects/${project.id}/environment/TOKEN`, {
      token,
      body: { value: 'v', secret: true },
    });
    expect(env.status).toBe(200);
    const license = (await (
      await server.request('POST', `/api/v1/admin/users/${other.user.id}/licenses`, {
        token,
        body: { moduleCode: 'webhooks', scope: 'all_projects' },
      })
    ).json()) as { id: string };
    // The webhooks module on, with an endpoint (subscribed to nothing that happens here) and a test message, so
    // that the webhook routes are reached with real ids. Its loopback URL is refused at send time.
    const enabled = await server.request('POST', `/api/v1/projects/${project.id}/modules`, {
      token,
      body: { moduleCode: 'webhooks' },
    });
    expect(enabled.status).toBe(200);
    const hook = (await (
      await server.request('POST', `/api/v1/projects/${project.id}/webhooks`, {
        token,
        body: { url: 'https://127.0.0.1/hook', eventTypes: ['custom.Nothing'] },
      })
    ).json()) as { id: string };
    const tested = (await (
      await server.request('POST', `/api/v1/projects/${project.id}/webhooks/${hook.id}/test`, { token })
    ).json()) as { messageId: string };
    const worker = await createWorker(
      server,
      token,
      project.id,
      {
        name: 'Echo',
        slug: 'echo',
        triggers: { events: ['GoalIncremented'], http: true, cron: '0 0 1 1 *' },
      },
      ECHO_WORKER,
    );
    const ran = await server.request('POST', `/api/v1/projects/${project.id}/workers/${worker.id}/run`, {
      token,
      body: { input: { hello: 'world' } },
    });
    expect(ran.status).toBe(200);
    const { invocationId } = (await ran.json()) as { invocationId: string };
    apiKey = project.apiKey;
    real = {
      workerId: worker.id,
      version: '1',
      invocationId,
      projectSlug: 'fuzz',
      workerSlug: 'echo',
      code: 'validation_failed',
      id: other.user.id,
      userId: other.user.id,
      projectId: project.id,
      goal: 'fuzz-hits',
      name: 'TOKEN',
      moduleCode: 'webhooks',
      licenseId: license.id,
      webhookId: hook.id,
      messageId: tested.messageId,
      file: `${'0'.repeat(64)}.png`,
    };
    projectId = project.id;
    const doc = (await (await server.request('GET', '/api/docs/json')).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            tags?: string[];
            parameters?: { in: string; name: string }[];
            requestBody?: { content: Record<string, { schema?: Schema }> };
          }
        >
      >;
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        // HEAD answers carry no body to check (GET of the same route is probed); fetch cannot send TRACE.
        .filter(([method]) => !['head', 'trace', 'connect'].includes(method))
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
          query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
          bodyProps: op.requestBody?.content['application/json']
            ? propertiesOf(op.requestBody.content['application/json'].schema)
            : null,
        })),
    );
    // Deletions last, so that they do not take away what other routes act on.
    operations.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
  });
  afterAll(() => server?.close());

  /** The path with real ids (`{id}`: the project in project routes, a user elsewhere), one maybe replaced. */
  const fill = (op: Operation, override?: [string, string]) =>
    op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (override && override[0] === name) return override[1];
      if (name === 'id' && op.path.startsWith('/api/v1/projects/')) return projectId;
      return real[name] ?? name;
    });

  async function probe(
    op: Operation,
    label: string,
    url: string,
    body?: string | Uint8Array,
    contentType = 'application/json',
    extraHeaders: Record<string, string> = op.path.startsWith('/run/')
      ? { 'x-api-key': apiKey }
      : { authorization: `Bearer ${token}` },
  ): Promise<number> {
    const before = await server.headPosition();
    const headers: Record<string, string> = { ...extraHeaders };
    if (body !== undefined) headers['content-type'] = contentType;
    const init: RequestInit = { method: op.method, headers };
    if (body !== undefined) init.body = body;
    const response = await fetch(server.base + url, init);
    // A stream that was opened is a success that never ends: its status is the answer.
    const streaming = /^text\/event-stream/.test(response.headers.get('content-type') ?? '');
    if (streaming) await response.body?.cancel();
    const text = streaming ? '' : await response.text();
    sent++;
    const where = `${op.method} ${op.path} [${label}] → ${response.status} ${text.slice(0, 200)}`;
    if (response.status >= 500) fivexx.push(where);
    if (response.status >= 400) {
      if (!/^application\/problem\+json/.test(response.headers.get('content-type') ?? '')) {
        notProblem.push(where);
      }
      if ((await server.headPosition()) !== before) wrote.push(where);
      let problem: { code?: unknown; errors?: { field?: unknown }[] } = {};
      try {
        problem = JSON.parse(text);
      } catch {
        notProblem.push(where);
      }
      if (typeof problem.code !== 'string' || !/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(problem.code)) {
        badCodes.push(where);
      }
      // A request the schema refuses names each field at fault: `body.x`, `params.x`, `querystring.x`.
      if (problem.code === 'validation_failed') {
        const fields = (problem.errors ?? []).map((e) => e.field);
        if (
          fields.length === 0 ||
          !fields.every((f) => typeof f === 'string' && /^(body|params|querystring)\b/.test(f))
        ) {
          unnamed.push(where);
        }
      }
    }
    return response.status;
  }

  it('covers every route the server has: each is in the OpenAPI document the fuzz is generated from', () => {
    // Fastify's own table of routes, read from its printed tree (one node a line, 4 characters of indent a level).
    const registered: string[] = [];
    const stack: string[] = [];
    for (const line of server.app.printRoutes({ commonPrefix: false }).split('\n')) {
      const m = /^([│ ]*)[├└]── (.+?)(?: \(([^)]*)\))?$/.exec(line);
      if (!m) continue;
      const depth = m[1]!.length / 4;
      stack[depth] = (depth > 0 ? stack[depth - 1]! : '') + m[2]!;
      stack.length = depth + 1;
      // A wildcard child prints as `*` right after its parent's last parameter: `/:workerSlug*` is `/:workerSlug/*`.
      const path = stack[depth]!.replace(/([^/])\*$/, '$1/*');
      for (const method of (m[3] ?? '').split(', ').filter(Boolean)) registered.push(`${method} ${path}`);
    }
    const documented = new Set(
      operations.map((op) => `${op.method} ${op.path.replace(/\{(\w+)\}/g, ':$1')}`.replace(':path', '*')),
    );
    const outside = registered.filter((route) => {
      const [method, path] = route.split(' ') as [string, string];
      if (method === 'HEAD') return false; // Fastify's automatic HEAD of each GET: the GET is probed
      if (method === 'TRACE') return false; // documented, but fetch cannot send it
      // The UI (`/`, and `*` for its static files once web/dist is built) and the document's own pages.
      if (path === '/' || path === '*' || path.startsWith('/api/docs')) return false;
      return !documented.has(route);
    });
    // Only the HTTP trigger's QUERY method stays out of the document (OpenAPI 3.1 has no QUERY): probed below.
    expect(outside.sort()).toEqual([
      'QUERY /run/:projectSlug/:workerSlug',
      'QUERY /run/:projectSlug/:workerSlug/*',
    ]);
    expect(registered.length).toBeGreaterThan(100);
  });

  it("answers the HTTP trigger's undocumented QUERY method with junk as the documented methods", async () => {
    const op: Operation = {
      method: 'QUERY',
      path: '/run/{projectSlug}/{workerSlug}',
      params: [],
      query: [],
      bodyProps: null,
    };
    for (const [label, raw, type] of RAW_BODIES) {
      await probe(op, `body ${label}`, '/run/fuzz/echo/a/b', raw, type);
      await probe(op, `body ${label}, unknown worker`, '/run/fuzz/nobody', raw, type);
    }
    expect(fivexx, fivexx.join('\n')).toEqual([]);
    expect(notProblem, notProblem.join('\n')).toEqual([]);
  });

  // First: the fuzz below deletes what it can at its end.
  it('refuses a malformed cursor on every paged route with 400 naming querystring.cursor', async () => {
    const paged = operations.filter((op) => op.query.includes('cursor'));
    expect(paged.map((op) => op.path)).toEqual(
      expect.arrayContaining([
        '/api/v1/users',
        '/api/v1/projects/{id}/invocations',
        '/api/v1/projects/{id}/workers/{workerId}/invocations',
      ]),
    );
    for (const op of paged) {
      for (const cursor of BAD_CURSORS) {
        const response = await server.request(op.method, `${fill(op)}?cursor=${cursor}`, { token });
        const body = (await response.json()) as {
          code?: string;
          errors?: { field: string; code?: string }[];
        };
        expect([op.path, cursor, response.status, body.code]).toEqual([
          op.path,
          cursor,
          400,
          'validation_failed',
        ]);
        expect(body.errors?.map((e) => e.field)).toContain('querystring.cursor');
      }
    }
  });

  it('never answers 5xx, answers 4xx as problem+json, and writes nothing when it refuses', async () => {
    expect(operations.length).toBeGreaterThan(40);
    for (const op of operations) {
      const url = fill(op);
      if (op.bodyProps !== null) {
        for (const [label, raw, type] of RAW_BODIES) await probe(op, `body ${label}`, url, raw, type);
        for (const prop of op.bodyProps) {
          for (const [label, value] of JUNK_VALUES) {
            await probe(op, `body.${prop} ${label}`, url, JSON.stringify({ [prop]: value }));
          }
        }
        const allJunk = (value: unknown) => Object.fromEntries(op.bodyProps!.map((p) => [p, value]));
        for (const [label, value] of JUNK_VALUES) {
          await probe(op, `every field ${label}`, url, JSON.stringify(allJunk(value)));
        }
        await probe(op, 'extra field', url, JSON.stringify({ ...allJunk('x'), unexpected: 1 }));
      } else if (op.method !== 'GET' && op.method !== 'DELETE') {
        await probe(op, 'unexpected body', url, JSON.stringify({ unexpected: LONG }));
      }
      for (const param of op.params) {
        for (const [label, value] of BAD_PARAMS) {
          await probe(op, `:${param} ${label}`, fill(op, [param, value]), op.bodyProps ? '{}' : undefined);
        }
      }
      for (const q of op.query.length > 0 ? op.query : ['unexpected']) {
        for (const [label, query] of BAD_QUERIES) {
          const target = `${url}?${query.replaceAll('{q}', q)}`;
          await probe(op, `?${q} ${label}`, target, op.bodyProps ? '{}' : undefined);
        }
      }
    }
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(fivexx, fivexx.join('\n')).toEqual([]);
    expect(notProblem, notProblem.join('\n')).toEqual([]);
    expect(wrote, wrote.join('\n')).toEqual([]);
    expect(badCodes, badCodes.join('\n')).toEqual([]);
    expect(unnamed, unnamed.join('\n')).toEqual([]);
    expect(sent).toBeGreaterThan(1_000);
  }, 180_000);

  it('refuses junk credentials with 401 problems on every route that needs them', async () => {
    const PUBLIC = [
      '/health',
      '/api/v1/auth/login',
      '/api/v1/auth/setup',
      '/api/v1/colors',
      '/api/v1/avatars/{file}',
      '/api/v1/problems',
      '/api/v1/problems/{code}',
    ];
    const not401: string[] = [];
    const junkAuth = [
      'Bearer',
      'Bearer ',
      'Bearer x.y.z',
      'Basic cm9vdDpyb290',
      `Bearer ${'a'.repeat(4_000)}`,
      `Bearer ${token}x`,
      `Bearer ${token.split('.').slice(0, 2).join('.')}.`,
      'bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    ];
    const junkKeys = [
      '',
      'm3m_',
      `m3m_${'A'.repeat(43)}`,
      `m3m_${'a'.repeat(4_000)}`,
      'ünï'.normalize('NFD'),
    ];
    for (const op of operations) {
      for (const authorization of junkAuth) {
        const status = await probe(
          op,
          `authorization ${authorization.slice(0, 20)}`,
          fill(op),
          undefined,
          undefined,
          {
            authorization,
          },
        );
        if (!PUBLIC.includes(op.path) && status !== 401) not401.push(`${op.method} ${op.path} ${status}`);
      }
    }
    const increment = operations.find((op) => op.path.endsWith('/increment'))!;
    for (const key of junkKeys) {
      // Header values are Latin-1: a key with other characters is sent as its UTF-8 bytes.
      const latin1 = Buffer.from(key, 'utf8').toString('latin1');
      const status = await probe(
        increment,
        `x-api-key ${key.slice(0, 20)}`,
        fill(increment),
        '{"by":1}',
        undefined,
        {
          'x-api-key': latin1,
        },
      );
      if (status !== 401) not401.push(`x-api-key ${key.slice(0, 20)} ${status}`);
    }
    expect(fivexx, fivexx.join('\n')).toEqual([]);
    expect(notProblem, notProblem.join('\n')).toEqual([]);
    expect(wrote, wrote.join('\n')).toEqual([]);
    expect(badCodes, badCodes.join('\n')).toEqual([]);
    expect(not401, not401.join('\n')).toEqual([]);
  });

  it('still answers normally afterwards', async () => {
    const me = await server.request('GET', '/api/v1/me', { token });
    expect(me.status).toBe(200);
    const health = await server.request('GET', '/health');
    expect(health.status).toBe(200);
  });
});
