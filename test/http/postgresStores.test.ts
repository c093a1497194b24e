import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../kit/postgres.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

/** The whole of m3m (API, projections, workers' runtime) on PostgreSQL for events and read models. */
describe('m3m on PostgreSQL', () => {
  let database: TestDatabase;
  let server: TestServer | undefined;
  const start = async () => {
    server = await startTestServer({
      env: { M3M_EVENT_STORE: 'postgres', M3M_READ_STORE: 'postgres', M3M_POSTGRES_URL: database.url },
    });
    return server;
  };
  const lastCommitted = async () => {
    const client = new pg.Client(database.url);
    await client.connect();
    try {
      return Number((await client.query('SELECT max(position) AS p FROM m3m_events')).rows[0].p);
    } finally {
      await client.end();
    }
  };
  beforeEach(async () => {
    database = await freshDatabase();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await database.drop();
  });

  it('serves a project, a goal and its increments, and keeps them across a restart', async () => {
    let s = await start();
    await s.createAdmin(ROOT.email, ROOT.password);
    const token = await s.login(ROOT.email, ROOT.password);
    const created = await s.request('POST', '/api/v1/projects', {
      token,
      body: { name: 'Shop', slug: 'shop', color: 'teal' },
    });
    expect(created.status).toBe(201);
    const project = (await created.json()) as { id: string; apiKey: string };
    const goal = await s.request('POST', `/api/v1/projects/${project.id}/goals`, {
      token,
      body: { slug: 'orders', name: 'Orders', type: 'counter' },
    });
    expect(goal.status).toBe(201);
    const taken = await s.request('POST', '/api/v1/projects', {
      token,
      body: { name: 'Again', slug: 'shop' },
    });
    expect(taken.status).toBe(409);

    const increments = await Promise.all(
      Array.from({ length: 20 }, () =>
        s.request('POST', '/api/v1/goals/shop-orders/increment', {
          headers: { 'x-api-key': project.apiKey },
          body: { by: 2 },
        }),
      ),
    );
    expect(increments.map((r) => r.status)).toEqual(Array(20).fill(200));
    const read = async () =>
      (await (await s.request('GET', '/api/v1/goals/shop-orders', { token })).json()) as { total: number };
    // An increment is acknowledged when recorded; the goal's read model follows. (headPosition is the head
    // readers may see, which a projection's own transaction can hold back: wait for the last commit instead.)
    await s.m3m.runner.waitFor(await lastCommitted());
    expect((await read()).total).toBe(40);

    const health = (await (await s.request('GET', '/health')).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ eventStore: { kind: 'postgres' }, readStore: { kind: 'postgres' } });

    await s.close();
    s = await start();
    const again = await s.login(ROOT.email, ROOT.password);
    expect(
      (
        (await (await s.request('GET', '/api/v1/goals/shop-orders', { token: again })).json()) as {
          total: number;
        }
      ).total,
    ).toBe(40);
  });
});
