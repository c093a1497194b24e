import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../kit/http.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

const DAY = 86_400_000;

/**
 * A project's goal statistics as of a moment, from the events: at a past position or time they equal what the
 * live stats route answered then (recorded then), at the head what it answers now; a goal deleted since is
 * still there then, gone now.
 */
describe('audit goal statistics as of a moment', () => {
  let server: TestServer;
  let root: string;
  type Signed = { user: { email: string }; password: string; token: string };
  let owner: Signed;
  let member: Signed;
  let outsider: Signed;
  let projectId: string;
  let apiKey: string;
  let midPosition: number;
  let midTime: string;
  let statsThen: unknown[];

  const SLUGS = ['gs-old', 'gs-orders', 'gs-visits'];
  const liveStats = async (slugs: string[]) => {
    await server.m3m.runner.waitFor(await server.headPosition());
    const out: unknown[] = [];
    for (const slug of slugs) {
      const r = await send(server, 'GET', `/api/v1/goals/${slug}/stats`, { token: owner.token });
      expect(r.status, r.text).toBe(200);
      out.push(r.json);
    }
    return out;
  };
  const inc = async (slug: string, by: number) => {
    const r = await send(server, 'POST', `/api/v1/goals/${slug}/increment`, {
      token: null,
      headers: { 'x-api-key': apiKey },
      body: { by },
    });
    expect(r.status, r.text).toBe(200);
  };
  const asOf = (query: string, token: string | null = owner.token) =>
    send(server, 'GET', `/api/v1/projects/${projectId}/audit/goal-stats${query}`, { token });

  /** A day later the tokens have expired: sign in again. */
  const nextDay = async () => {
    server.clock.advance(DAY);
    root = await server.login(ROOT.email, ROOT.password);
    for (const u of [owner, member, outsider]) u.token = await server.login(u.user.email, u.password);
  };

  beforeAll(async () => {
    server = await startTestServer();
    root = await server.signInAsRoot();
    owner = await server.createUser(root, {
      email: 'gs-owner@example.com',
      permissions: ['create_projects'],
    });
    const m = await server.createUser(root, { email: 'gs-member@example.com' });
    member = m;
    outsider = await server.createUser(root, { email: 'gs-outsider@example.com' });
    const created = await send(server, 'POST', '/api/v1/projects', {
      token: owner.token,
      body: { name: 'Goal stats', slug: 'gs' },
    });
    expect(created.status, created.text).toBe(201);
    projectId = created.json.id as string;
    apiKey = created.json.apiKey as string;
    await send(server, 'POST', `/api/v1/projects/${projectId}/members`, {
      token: owner.token,
      body: { userId: m.user.id },
    });
    for (const [slug, type] of [
      ['orders', 'counter'],
      ['visits', 'daily_counter'],
      ['old', 'counter'],
    ]) {
      const goal = await send(server, 'POST', `/api/v1/projects/${projectId}/goals`, {
        token: owner.token,
        body: { slug, name: slug, type },
      });
      expect(goal.status, goal.text).toBe(201);
    }
    await inc('gs-orders', 3);
    await inc('gs-visits', 2);
    await nextDay();
    await inc('gs-visits', 5);
    await inc('gs-old', 1);
    statsThen = await liveStats(SLUGS);
    midPosition = await server.headPosition();
    midTime = server.clock.now().toISOString();

    await nextDay();
    await inc('gs-orders', 10);
    await inc('gs-visits', 7);
    const deleted = await send(server, 'DELETE', '/api/v1/goals/gs-old', { token: owner.token });
    expect(deleted.status, deleted.text).toBeLessThan(300);
  });
  afterAll(() => server.close());

  it('answers at a past position and a past time what the live route answered then', async () => {
    const byPosition = await asOf(`?at=${midPosition}`);
    expect(byPosition.status, byPosition.text).toBe(200);
    expect(byPosition.json.goals).toEqual(statsThen);
    expect((byPosition.json.asOf as { position: number }).position).toBeLessThanOrEqual(midPosition);
    const byTime = await asOf(`?at=${encodeURIComponent(midTime)}`);
    expect(byTime.json.goals).toEqual(statsThen);
    const visits = (statsThen as { slug: string; total: number; days?: { value: number }[] }[])[2]!;
    expect(visits.total).toBe(7);
    expect(visits.days!.slice(-2).map((d) => d.value)).toEqual([2, 5]);
    const before = await asOf('?at=2000-01-01T00:00:00Z');
    expect(before.json).toMatchObject({ asOf: null, goals: [] });
  });

  it('agrees with the live route at the head, the deleted goal gone', async () => {
    const now = await liveStats(['gs-orders', 'gs-visits']);
    const head = await asOf('');
    expect(head.status, head.text).toBe(200);
    expect(head.json.goals).toEqual(now);
    expect((now[0] as { total: number }).total).toBe(13);
    const ranged = await asOf(`?at=${midPosition}&from=2000-01-01&to=2000-01-03`);
    const days = (ranged.json.goals as { days?: unknown[] }[])[2]!.days;
    expect(days).toEqual([
      { day: '2000-01-01', value: 0 },
      { day: '2000-01-02', value: 0 },
      { day: '2000-01-03', value: 0 },
    ]);
  });

  it('refuses a bad moment or range, members 403, outsiders 404, anonymous 401', async () => {
    const bad = await asOf('?at=yesterday');
    expect(bad.status).toBe(400);
    expect((bad.json.errors as { field: string }[]).map((e) => e.field)).toEqual(['querystring.at']);
    const long = await asOf('?from=2020-01-01&to=2026-01-01');
    expect((long.json.errors as { field: string }[]).map((e) => e.field)).toEqual(['querystring.to']);
    const asMember = await asOf('', member.token);
    expect([asMember.status, asMember.json.code]).toEqual([403, 'not_project_manager']);
    const asOutsider = await asOf('', outsider.token);
    expect([asOutsider.status, asOutsider.json.code]).toEqual([404, 'project_not_found']);
    expect((await asOf('', null)).status).toBe(401);
    expect((await asOf('', root)).status).toBe(200);
  });
});
