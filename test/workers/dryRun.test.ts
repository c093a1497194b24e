import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * The dry run of a worker's draft against past events: each event runs in the real sandbox, every side effect
 * is captured, and nothing is appended, written or sent — checked against the real event store, read store and a
 * real HTTP receiver the workers are allowed to reach.
 */
describe('dry run against past events', () => {
  let server: TestServer;
  let receiver: Server;
  let received: string[];
  let url: string;
  let owner: string;
  let member: string;
  let projectId: string;
  let workerId: string;
  const api = (path: string) => `/api/v1/projects/${projectId}${path}`;
  const dryRun = (body: unknown, token = owner, id = workerId) =>
    send(server, 'POST', api(`/workers/${id}/dry-run`), { token, body });

  const draftSource = (base: string) => `
export default {
  async onEvent(event) {
    m3m.log.info('draft saw', event.data.by);
    await m3m.goals.increment('clicks', event.data.by);
    await m3m.models.collection('hits').insert({ by: event.data.by });
    await m3m.events.emit('VisitCounted', { by: event.data.by });
    const answer = await m3m.http.fetch('${base}/canned', { method: 'POST', body: { by: event.data.by } });
    let refused = null;
    try { await m3m.http.fetch('${base}/other'); } catch (e) { refused = e.name + ': ' + e.message; }
    return { canned: answer.status, body: answer.body, refused };
  },
};
`;

  beforeAll(async () => {
    received = [];
    receiver = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.end('sent for real');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    // Workers may reach loopback here: if the dry run sent anything, the receiver would see it.
    server = await startTestServer({ env: { M3M_ALLOW_PRIVATE_FETCH: 'true' } });
    const root = await server.signInAsRoot();
    owner = (await server.createUser(root, { email: 'owner@example.com', permissions: ['create_projects'] }))
      .token;
    const memberUser = await server.createUser(root, { email: 'member@example.com' });
    member = memberUser.token;
    projectId = (await createProject(server, owner, 'shop')).id;
    await expectStatus(
      send(server, 'POST', api('/members'), { token: owner, body: { userId: memberUser.user.id } }),
      200,
    );
    for (const slug of ['visits', 'clicks']) {
      await expectStatus(
        send(server, 'POST', api('/goals'), { token: owner, body: { slug, name: slug, type: 'counter' } }),
        201,
      );
    }
    const worker = await createWorker(
      server,
      owner,
      projectId,
      { name: 'Visits', slug: 'visits', triggers: { events: ['GoalIncremented'] } },
      "export default { onEvent(event) { m3m.log.info('deployed saw', event.data.by); return event.data.by; } };",
    );
    workerId = worker.id;
    // Seven past events; the deployed version handles each (its records are what the dry run compares with).
    for (let by = 1; by <= 7; by++) {
      await expectStatus(
        send(server, 'POST', '/api/v1/goals/shop-visits/increment', { token: owner, body: { by } }),
        200,
      );
    }
    await waitFor(async () => (await records()).length === 7);
    await expectStatus(
      send(server, 'PUT', api(`/workers/${workerId}/draft`), {
        token: owner,
        body: { source: draftSource(url) },
      }),
      200,
    );
  });
  afterAll(async () => {
    await server.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  const records = async () =>
    (await expectStatus(send(server, 'GET', api(`/workers/${workerId}/invocations`), { token: owner }), 200))
      .json.items as unknown as { id: string; eventId: string }[];

  it('runs the draft over the last five events, capturing every effect, committing none', async () => {
    const head = await server.headPosition();
    const before = await records();
    const report = await expectStatus(
      dryRun({
        events: { last: 5 },
        httpResponses: [{ method: 'POST', url: `${url}/canned`, status: 202, body: 'canned answer' }],
      }),
      200,
    );
    expect(report.json).toMatchObject({ source: 'draft', eventTypes: ['GoalIncremented'], truncated: false });
    const results = report.json.results as unknown as {
      event: { id: string; type: string; data: { by: number } };
      outcome: string;
      result: unknown;
      logs: { message: string }[];
      effects: Record<string, unknown>[];
      deployed: { invocationId: string; version: number; outcome: string; resultPreview: string } | null;
    }[];
    expect(results.map((r) => r.event.data.by)).toEqual([3, 4, 5, 6, 7]);
    for (const [i, r] of results.entries()) {
      const by = i + 3;
      expect(r.event.type).toBe('GoalIncremented');
      expect(r.outcome).toBe('ok');
      expect(r.logs.map((l) => l.message)).toEqual([`draft saw ${by}`]);
      expect(r.result).toEqual({
        canned: 202,
        body: 'canned answer',
        refused: expect.stringMatching(/^DryRunError: m3m.http.fetch is not sent in a dry run/),
      });
      expect(r.effects).toEqual([
        { kind: 'goals.increment', goal: 'shop-clicks', by },
        { kind: 'models.insert', collection: 'hits', document: { by, id: expect.any(String) } },
        { kind: 'events.emit', type: 'VisitCounted', data: { by } },
        { kind: 'http.fetch', method: 'POST', url: `${url}/canned`, answered: 'canned' },
        { kind: 'http.fetch', method: 'GET', url: `${url}/other`, answered: 'refused' },
      ]);
      // Beside it, what the deployed version did with the same event.
      expect(r.deployed).toMatchObject({ version: 1, outcome: 'ok', resultPreview: String(by) });
      expect(before.find((rec) => rec.id === r.deployed!.invocationId)?.eventId).toBe(r.event.id);
    }

    // Nothing appended, written, sent or recorded.
    expect(await server.headPosition()).toBe(head);
    const collections = await expectStatus(send(server, 'GET', api('/collections'), { token: owner }), 200);
    expect(collections.json.items).toEqual([]);
    const clicks = await expectStatus(
      send(server, 'GET', '/api/v1/goals/shop-clicks/stats', { token: owner }),
      200,
    );
    expect(clicks.json.total).toBe(0);
    expect(received).toEqual([]);
    expect((await records()).map((r) => r.id)).toEqual(before.map((r) => r.id));
  });

  it('takes a time range, a source from the body, and reports refused effects as the worker sees them', async () => {
    const all = await expectStatus(
      dryRun({
        source: 'export default { async onEvent(e) { await m3m.goals.increment("nope"); } };',
        events: { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' },
      }),
      200,
    );
    expect(all.json).toMatchObject({ source: 'body', truncated: false });
    const results = all.json.results as unknown as {
      outcome: string;
      error: { name: string };
      effects: [];
    }[];
    expect(results).toHaveLength(7);
    expect(results[0]).toMatchObject({ outcome: 'error', error: { name: 'NotFoundError' }, effects: [] });
    const none = await expectStatus(
      dryRun({ events: { from: '2000-01-01T00:00:00Z', to: '2000-01-02T00:00:00Z' } }),
      200,
    );
    expect(none.json.results).toEqual([]);
  });

  it('refuses members, a source that does not compile, and a worker with no event types to run against', async () => {
    const denied = await dryRun({ events: { last: 1 } }, member);
    expect(denied.status).toBe(403);
    const head = await server.headPosition();
    const broken = await dryRun({ source: 'export default {\n  onEvent( {\n};', events: { last: 1 } });
    expect(broken.status).toBe(400);
    expect(broken.json.errors).toMatchObject([{ field: 'body.source', code: 'syntax_error' }]);
    const typed = await dryRun({
      source: 'export default { onEvent(e: { data: { by: number } }): number { return e.data.by; } };',
      language: 'typescript',
      events: { last: 2 },
    });
    expect(typed.json.results).toMatchObject([{ result: 6 }, { result: 7 }]);
    const silent = await createWorker(server, owner, projectId, { name: 'Silent', slug: 'silent' });
    const noTypes = await dryRun({ source: 'export default {};', events: { last: 3 } }, owner, silent.id);
    expect(noTypes.status).toBe(400);
    expect(noTypes.json.errors).toMatchObject([{ field: 'body.eventTypes', code: 'no_event_types' }]);
    const chosen = await expectStatus(
      dryRun(
        {
          source: 'export default { onEvent(e) { return e.type; } };',
          events: { last: 1 },
          eventTypes: ['GoalIncremented'],
        },
        owner,
        silent.id,
      ),
      200,
    );
    expect(chosen.json.results).toMatchObject([{ result: 'GoalIncremented', deployed: null }]);
    const badRange = await dryRun({ events: { last: 0 } });
    expect(badRange.status).toBe(400);
    expect(await server.headPosition()).toBe(head + 2); // the silent worker's slug reservation and creation only
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
