import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/** What the trigger editor asks while a person types: a cron preview and the event types to pick from. */
describe('trigger help routes', () => {
  let server: TestServer;
  let owner: string;
  let outsider: string;
  let projectId: string;

  beforeAll(async () => {
    server = await startTestServer();
    const root = await server.signInAsRoot();
    owner = (await server.createUser(root, { email: 'owner@example.com', permissions: ['create_projects'] }))
      .token;
    outsider = (await server.createUser(root, { email: 'outsider@example.com' })).token;
    projectId = (await createProject(server, owner, 'shop')).id;
    await createWorker(server, owner, projectId, {
      name: 'Listener',
      slug: 'listener',
      triggers: { events: ['OrderPlaced', 'GoalIncremented'] },
    });
  });
  afterAll(() => server.close());

  it('previews the next five runs of a cron expression in UTC, in order', async () => {
    const { json } = await expectStatus(
      send(server, 'GET', `/api/v1/cron/preview?expression=${encodeURIComponent('30 6 * * *')}`, {
        token: owner,
      }),
      200,
    );
    const next = json.next as string[];
    expect(next).toHaveLength(5);
    for (const at of next) expect(at).toMatch(/T06:30:00\.000Z$/);
    const times = next.map((at) => Date.parse(at));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(24 * 3600 * 1000);
    expect(times[0]!).toBeGreaterThan(Date.now());
  });

  it('says why an expression cannot be read, naming the query field', async () => {
    const { json } = await expectStatus(
      send(server, 'GET', '/api/v1/cron/preview?expression=61%20*%20*%20*%20*', { token: owner }),
      400,
    );
    expect(json.code).toBe('validation_failed');
    const [error] = json.errors as { field: string; code: string; message: string }[];
    expect(error?.field).toBe('querystring.expression');
    expect(error?.code).toBe('invalid_cron');
    expect(error?.message).toMatch(/minute/);
  });

  it('needs a signed-in caller', async () => {
    await expectStatus(send(server, 'GET', '/api/v1/cron/preview?expression=@daily'), 401);
    await expectStatus(send(server, 'GET', `/api/v1/projects/${projectId}/event-types`), 401);
  });

  it("lists m3m's event types and the project's custom ones; an outsider sees no project", async () => {
    const { json } = await expectStatus(
      send(server, 'GET', `/api/v1/projects/${projectId}/event-types`, { token: owner }),
      200,
    );
    expect(json.builtIn).toContain('GoalIncremented');
    expect(json.builtIn).toContain('WorkerDeployed');
    expect(json.custom).toEqual(['OrderPlaced']);
    await expectStatus(
      send(server, 'GET', `/api/v1/projects/${projectId}/event-types`, { token: outsider }),
      404,
    );
  });
});
