import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf } from '../kit/http.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

const SECRET = 'whsec_do-not-leak-9f8e7d';

/** Projects, goals and environment over a real HTTP server, end to end through the composition root. */
describe('projects, goals and environment over HTTP', () => {
  let server: TestServer;
  let root: string;
  let owner: string;
  let other: string;
  const responses: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ captureLogs: true });
    root = await server.signInAsRoot();
    owner = (await server.createUser(root, { email: 'owner@example.com', permissions: ['create_projects'] }))
      .token;
    other = (await server.createUser(root, { email: 'other@example.com', permissions: ['create_projects'] }))
      .token;
  });
  afterAll(() => server.close());

  /** Every response body is kept, to check at the end that no secret ever left the server. */
  async function send(
    method: string,
    path: string,
    options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; json: Record<string, unknown>; response: Response }> {
    const response = await server.request(method, path, options);
    const text = await response.clone().text();
    responses.push(text);
    return { status: response.status, json: text ? JSON.parse(text) : {}, response };
  }

  async function project(token: string, slug: string) {
    const created = await send('POST', '/api/v1/projects', {
      token,
      body: { name: slug, slug, color: 'green' },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    return created.json as { id: string; slug: string; apiKey: string; apiKeyPrefix: string };
  }

  const increment = (goal: string, options: { key?: string; token?: string; by?: number } = {}) =>
    send('POST', `/api/v1/goals/${goal}/increment`, {
      token: options.token ?? null,
      ...(options.key ? { headers: { 'x-api-key': options.key } } : {}),
      ...(options.by === undefined ? {} : { body: { by: options.by } }),
    });

  it('serves the 16 colours', async () => {
    const { status, json } = await send('GET', '/api/v1/colors');
    expect(status).toBe(200);
    const items = json.items as { name: string; hex: string }[];
    expect(items).toHaveLength(16);
    expect(new Set(items.map((c) => c.name)).size).toBe(16);
    for (const c of items) expect(c.hex).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('creates a project and shows the API key once', async () => {
    const created = await project(owner, 'flow');
    expect(created).toMatchObject({ slug: 'flow', color: 'green', access: 'owner', memberIds: [] });
    expect(created.apiKey).toMatch(/^m3m_/);
    expect(created.apiKey.startsWith(created.apiKeyPrefix)).toBe(true);
    const listed = await send('GET', '/api/v1/projects', { token: owner });
    expect(JSON.stringify(listed.json)).not.toContain(created.apiKey);
    expect(JSON.stringify(listed.json)).not.toContain('apiKeyHash');
    const shown = await send('GET', `/api/v1/projects/${created.id}`, { token: owner });
    expect(shown.json).not.toHaveProperty('apiKey');
  });

  it('of 20 concurrent creates of one slug, one gets 201 and the others 409 slug_taken', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        server.request('POST', '/api/v1/projects', {
          token: i % 2 ? owner : other,
          body: { name: `R${i}`, slug: 'contested' },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(19).fill(409)]);
    for (const r of results.filter((r) => r.status === 409)) {
      expect((await problemOf(r)).code).toBe('slug_taken');
    }
    const all = await send('GET', '/api/v1/projects', { token: root });
    expect((all.json.items as { slug: string }[]).filter((p) => p.slug === 'contested')).toHaveLength(1);
  });

  it('frees a slug after a change and after a delete', async () => {
    const p = await project(owner, 'movable');
    const moved = await send('PATCH', `/api/v1/projects/${p.id}`, { token: owner, body: { slug: 'moved' } });
    expect(moved.json).toMatchObject({ slug: 'moved' });
    const reused = await project(other, 'movable');
    expect(
      (await send('POST', '/api/v1/projects', { token: other, body: { name: 'x', slug: 'moved' } })).status,
    ).toBe(409);
    const wrong = await send('DELETE', `/api/v1/projects/${reused.id}`, {
      token: other,
      body: { confirm: 'nope' },
    });
    expect(wrong.status).toBe(400);
    expect((wrong.json.errors as { field: string }[]).map((e) => e.field)).toEqual(['body.confirm']);
    expect(
      (await send('DELETE', `/api/v1/projects/${reused.id}`, { token: other, body: { confirm: 'movable' } }))
        .status,
    ).toBe(204);
    expect((await send('GET', `/api/v1/projects/${reused.id}`, { token: root })).status).toBe(404);
    await project(owner, 'movable');
  });

  it('counts an increment without a body as 1, and refuses a body that is not an object (null too)', async () => {
    const shop = await project(owner, 'null-body');
    await send('POST', `/api/v1/projects/${shop.id}/goals`, {
      token: owner,
      body: { slug: 'hits', name: 'Hits', type: 'counter' },
    });
    const total = async () =>
      (await send('GET', '/api/v1/goals/null-body-hits', { token: owner })).json.total;
    expect((await increment('null-body-hits', { key: shop.apiKey })).json).toMatchObject({ by: 1 });
    const before = await server.headPosition();
    for (const raw of ['null', '42', '[]', '"1"', 'true']) {
      const refused = await send('POST', '/api/v1/goals/null-body-hits/increment', {
        headers: { 'x-api-key': shop.apiKey, 'content-type': 'application/json' },
        body: raw,
      });
      expect([raw, refused.status, refused.json.code]).toEqual([raw, 400, 'validation_failed']);
      expect((refused.json.errors as { field: string }[])[0]!.field).toMatch(/^body/);
    }
    expect(await server.headPosition()).toBe(before);
    // The increment is answered once stored; its total follows in the projection thread.
    await server.m3m.runner.waitFor(before);
    expect(await total()).toBe(1);
  });

  it('validates an increment body as its schema says, on the fast path and off it (ADR 0031)', async () => {
    const shop = await project(owner, 'fast-body');
    await send('POST', `/api/v1/projects/${shop.id}/goals`, {
      token: owner,
      body: { slug: 'hits', name: 'Hits', type: 'counter' },
    });
    const post = (raw: string) =>
      send('POST', '/api/v1/goals/fast-body-hits/increment', {
        headers: { 'x-api-key': shop.apiKey, 'content-type': 'application/json' },
        body: raw,
      });
    for (const [raw, by] of [
      ['{"by":1}', 1],
      ['{"by":1000000000}', 1_000_000_000],
      ['{"by":2.0}', 2],
      ['{}', 1],
    ] as const) {
      const answer = await post(raw);
      expect([raw, answer.status, Object.keys(answer.json), answer.json.by]).toEqual([
        raw,
        200,
        ['goalId', 'slug', 'by', 'day'],
        by,
      ]);
    }
    for (const [raw, field] of [
      ['{"by":0}', 'body.by'],
      ['{"by":1.5}', 'body.by'],
      ['{"by":1000000001}', 'body.by'],
      ['{"by":"1"}', 'body.by'],
      ['{"by":null}', 'body.by'],
      ['{"by":1,"more":2}', 'body'],
    ] as const) {
      const refused = await post(raw);
      expect([raw, refused.status, refused.json.code]).toEqual([raw, 400, 'validation_failed']);
      expect((refused.json.errors as { field: string }[])[0]!.field).toBe(field);
    }
    const unknown = await send('POST', `/api/v1/goals/${'x'.repeat(100)}/increment`, {
      headers: { 'x-api-key': shop.apiKey, 'content-type': 'application/json' },
      body: '{"by":1}',
    });
    expect([unknown.status, unknown.json.code]).toEqual([404, 'goal_not_found']);
  });

  it('takes increments by API key: its own goals yes, others 403; a rotated key is refused at once', async () => {
    const shop = await project(owner, 'key-shop');
    const elsewhere = await project(other, 'key-else');
    const own = await send('POST', `/api/v1/projects/${shop.id}/goals`, {
      token: owner,
      body: { slug: 'orders', name: 'Orders', type: 'counter' },
    });
    expect(own.status).toBe(201);
    expect(own.json.slug).toBe('key-shop-orders');
    await send('POST', `/api/v1/projects/${elsewhere.id}/goals`, {
      token: other,
      body: { slug: 'orders', name: 'Orders', type: 'counter' },
    });
    const global = await send('POST', '/api/v1/goals', {
      token: root,
      body: { slug: 'signups', name: 'Signups', type: 'daily_counter', allowedProjectIds: [shop.id] },
    });
    expect(global.status).toBe(201);

    expect((await increment('key-shop-orders', { key: shop.apiKey })).json).toMatchObject({
      slug: 'key-shop-orders',
      by: 1,
    });
    expect((await increment('signups', { key: shop.apiKey, by: 3 })).status).toBe(200);
    // Another project's goal, a global goal closed to the project and a missing goal answer alike: a key
    // cannot tell which slugs exist elsewhere.
    const missing = await increment('no-such-goal', { key: shop.apiKey });
    expect(missing.status).toBe(404);
    for (const denied of [
      await increment('key-else-orders', { key: shop.apiKey }),
      await increment('signups', { key: elsewhere.apiKey }),
    ]) {
      expect(denied.status).toBe(404);
      expect({ ...denied.json, instance: null, requestId: null }).toEqual({
        ...missing.json,
        instance: null,
        requestId: null,
      });
    }
    expect((await increment('key-shop-orders', { key: 'm3m_not-a-real-key' })).status).toBe(401);
    expect((await increment('key-shop-orders')).status).toBe(401);

    const rotated = await send('POST', `/api/v1/projects/${shop.id}/api-key`, { token: owner });
    expect(rotated.status).toBe(200);
    const newKey = rotated.json.apiKey as string;
    const old = await increment('key-shop-orders', { key: shop.apiKey });
    expect(old.status).toBe(401);
    expect(old.json.code).toBe('invalid_api_key');
    expect((await increment('key-shop-orders', { key: newKey, by: 5 })).status).toBe(200);

    await server.m3m.runner.waitFor(await server.headPosition());
    expect((await send('GET', '/api/v1/goals/key-shop-orders/stats', { token: owner })).json).toMatchObject({
      total: 6,
    });
    const today = server.clock.now().toISOString().slice(0, 10);
    const daily = await send('GET', `/api/v1/goals/signups/stats?from=${today}&to=${today}`, {
      token: owner,
    });
    expect(daily.json).toMatchObject({ total: 3, days: [{ day: today, value: 3 }] });
  });

  it('counts 200 concurrent HTTP increments with the API key exactly', async () => {
    const p = await project(owner, 'busy');
    await send('POST', `/api/v1/projects/${p.id}/goals`, {
      token: owner,
      body: { slug: 'hits', name: 'Hits', type: 'daily_counter' },
    });
    const results = await Promise.all(
      Array.from({ length: 200 }, () => increment('busy-hits', { key: p.apiKey })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(200).fill(200));
    await server.m3m.runner.waitFor(await server.headPosition());
    const stats = await send('GET', '/api/v1/goals/busy-hits/stats', { token: owner });
    expect(stats.json.total).toBe(200);
    const days = stats.json.days as { day: string; value: number }[];
    expect(days).toHaveLength(30);
    expect(days.reduce((sum, d) => sum + d.value, 0)).toBe(200);
    expect(days.filter((d) => d.value === 0)).toHaveLength(29);
  });

  it('answers malformed requests with 400 naming the field, and writes nothing', async () => {
    const p = await project(owner, 'strict');
    const head = await server.headPosition();
    const cases: [string, string, unknown, string[]][] = [
      [
        'POST',
        '/api/v1/projects',
        { name: '', slug: 'Bad Slug', color: 'mauve' },
        ['body.color', 'body.name', 'body.slug'],
      ],
      ['POST', '/api/v1/projects', { name: 'x', slug: 'ok-slug', extra: 1 }, ['body']],
      ['PATCH', `/api/v1/projects/${p.id}`, {}, ['body']],
      ['PATCH', '/api/v1/projects/not-a-uuid', { name: 'x' }, ['params.id']],
      ['PATCH', `/api/v1/projects/${p.id}`, { name: 'a\u0000b' }, ['body.name']],
      [
        'POST',
        `/api/v1/projects/${p.id}/goals`,
        { slug: 'ctl', name: 'line\nbreak', type: 'counter' },
        ['body.name'],
      ],
      ['POST', `/api/v1/projects/${p.id}/members`, { userId: 'nope' }, ['body.userId']],
      [
        'POST',
        `/api/v1/projects/${p.id}/goals`,
        { slug: 'has-hyphen', name: 'x', type: 'gauge' },
        ['body.slug', 'body.type'],
      ],
      ['POST', '/api/v1/goals/strict-x/increment', { by: 0 }, ['body.by']],
      ['POST', '/api/v1/goals/strict-x/increment', { by: 1.5 }, ['body.by']],
      ['PUT', `/api/v1/projects/${p.id}/environment/lower`, { value: 'x' }, ['params.name']],
      [
        'PUT',
        `/api/v1/projects/${p.id}/environment/BIG`,
        { value: 'x'.repeat(32 * 1024 + 1) },
        ['body.value'],
      ],
      [
        'PUT',
        `/api/v1/projects/${p.id}/environment/FLAG`,
        { value: 1, secret: 'yes' },
        ['body.secret', 'body.value'],
      ],
    ];
    for (const [method, path, body, fields] of cases) {
      const r = await send(method, path, { token: owner, body });
      expect(r.status, `${method} ${path} ${JSON.stringify(r.json)}`).toBe(400);
      expect((r.json.errors as { field: string }[]).map((e) => e.field).sort(), `${method} ${path}`).toEqual(
        fields,
      );
    }
    const badUser = await send('POST', `/api/v1/projects/${p.id}/members`, {
      token: owner,
      body: { userId: '00000000-0000-4000-8000-000000000000' },
    });
    expect(badUser.status).toBe(400);
    expect(await server.headPosition()).toBe(head);
  });

  it('validates the stats range in the query string', async () => {
    const p = await project(owner, 'ranges');
    await send('POST', `/api/v1/projects/${p.id}/goals`, {
      token: owner,
      body: { slug: 'd', name: 'D', type: 'daily_counter' },
    });
    const backwards = await send('GET', '/api/v1/goals/ranges-d/stats?from=2026-02-10&to=2026-02-01', {
      token: owner,
    });
    expect(backwards.status).toBe(400);
    expect(backwards.json.errors).toEqual([
      { field: 'querystring.from', code: 'invalid_range', message: expect.any(String) },
    ]);
    const long = await send('GET', '/api/v1/goals/ranges-d/stats?from=2024-01-01&to=2026-01-01', {
      token: owner,
    });
    expect((long.json.errors as { field: string }[])[0]!.field).toBe('querystring.to');
    const zeroes = await send('GET', '/api/v1/goals/ranges-d/stats?from=2026-01-30&to=2026-02-02', {
      token: owner,
    });
    expect(zeroes.json.days).toEqual([
      { day: '2026-01-30', value: 0 },
      { day: '2026-01-31', value: 0 },
      { day: '2026-02-01', value: 0 },
      { day: '2026-02-02', value: 0 },
    ]);
  });

  it('stores secrets encrypted: never in events, responses or logs; listed masked', async () => {
    const p = await project(owner, 'vault');
    const put = await send('PUT', `/api/v1/projects/${p.id}/environment/WEBHOOK_SECRET`, {
      token: owner,
      body: { value: SECRET, secret: true },
    });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ name: 'WEBHOOK_SECRET', secret: true, value: null, masked: '••••••' });
    await send('PUT', `/api/v1/projects/${p.id}/environment/REGION`, { token: owner, body: { value: 'eu' } });
    const listed = await send('GET', `/api/v1/projects/${p.id}/environment`, { token: owner });
    expect((listed.json.items as { name: string }[]).map((v) => v.name)).toEqual([
      'REGION',
      'WEBHOOK_SECRET',
    ]);
    const { readEnvironment } = await import('../../application/environment/readEnvironment.ts');
    expect(await readEnvironment(server.m3m.projects, p.id)).toEqual({
      REGION: 'eu',
      WEBHOOK_SECRET: SECRET,
    });
  });

  it('never let a secret or an API key out: not in any event, response or log line', async () => {
    const events: string[] = [];
    for (let from = 0; ; ) {
      const page = await server.m3m.eventStore.readAll({ fromPosition: from, limit: 1000 });
      if (page.length === 0) break;
      events.push(...page.map((e) => JSON.stringify(e)));
      from = page.at(-1)!.position;
    }
    expect(events.length).toBeGreaterThan(100);
    expect(events.some((e) => e.includes(SECRET))).toBe(false);
    expect(responses.some((r) => r.includes(SECRET))).toBe(false);
    expect(server.logs.length).toBeGreaterThan(100);
    expect(server.logs.some((line) => line.includes(SECRET))).toBe(false);
    expect(server.logs.some((line) => /m3m_[A-Za-z0-9_-]{43}/.test(line))).toBe(false);
    expect(events.some((e) => /m3m_[A-Za-z0-9_-]{43}/.test(e))).toBe(false);
  });
});
