import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_CHANGES, AUDIT_ENTITIES, AUDIT_LOG, AUDIT_NAMES } from '../../application/audit/readModel.ts';
import { findAll } from '../../application/ports/findAll.ts';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Deleting a project removes every reference to it from every read model: users' project lists, members,
 * licences for that project, goals and their statistics, the environment, modules, workers with their
 * versions, and the project's own data (worker data, invocation records, statistics, event deliveries,
 * schedule ticks). Only the event log keeps it, as it keeps everything.
 */
describe('deleting a project leaves nothing that mentions it', () => {
  let server: TestServer;
  let root: string;

  beforeAll(async () => {
    server = await startTestServer({ open: { subscriber: { retryBaseMs: 20, pollMs: 50 } } });
    root = await server.signInAsRoot();
  });
  afterAll(() => server.close());

  /** Every collection name and every document of the read store that holds `text`. */
  async function mentions(text: string): Promise<string[]> {
    const found: string[] = [];
    const compact = text.replaceAll('-', '');
    for (const name of await server.m3m.readStore.listCollections()) {
      // The audit log is the event log's history, which keeps the project's events too ("its events stay"); its
      // entity states are the fold of those events that the log's before/after fields are computed from; its
      // names and changes are the log's index and its entries' before/after (ADR 29).
      if ([AUDIT_LOG, AUDIT_ENTITIES, AUDIT_NAMES, AUDIT_CHANGES].includes(name)) continue;
      if (name.includes(text) || name.includes(compact)) found.push(`collection ${name}`);
      for (const doc of await findAll(server.m3m.readStore.collection(name))) {
        const json = JSON.stringify(doc);
        if (json.includes(text) || json.includes(compact)) found.push(`${name}: ${json.slice(0, 300)}`);
      }
    }
    return found;
  }

  it('after using every part of a project and deleting it, no read model mentions its id', async () => {
    const owner = await server.createUser(root, {
      email: 'owner@example.com',
      permissions: ['create_projects'],
    });
    const member = await server.createUser(root, { email: 'member@example.com' });
    const granted = await server.createUser(root, { email: 'granted@example.com' });
    const project = await createProject(server, owner.token, 'doomed');
    const p = `/api/v1/projects/${project.id}`;
    const as = (token: string, method: string, path: string, body?: unknown) =>
      send(server, method, path, { token, ...(body === undefined ? {} : { body }) });

    // Members, a user's granted list, a licence for this project only, a module switched on with it.
    await expectStatus(as(owner.token, 'POST', `${p}/members`, { userId: member.user.id }), 200);
    await expectStatus(
      as(root, 'POST', `/api/v1/users/${granted.user.id}/projects`, { projectId: project.id }),
      200,
    );
    await expectStatus(
      as(root, 'POST', `/api/v1/admin/users/${owner.user.id}/licenses`, {
        moduleCode: 'webhooks',
        scope: 'single_project',
        projectId: project.id,
      }),
      201,
    );
    await expectStatus(as(owner.token, 'POST', `${p}/modules`, { moduleCode: 'webhooks' }), 200);
    // A goal with increments and daily statistics; the environment.
    await expectStatus(
      as(owner.token, 'POST', `${p}/goals`, { slug: 'hits', name: 'Hits', type: 'daily_counter' }),
      201,
    );
    await expectStatus(as(owner.token, 'PUT', `${p}/environment/MODE`, { value: 'live' }), 200);
    await expectStatus(
      as(owner.token, 'PUT', `${p}/environment/TOKEN`, { value: 's3cret', secret: true }),
      200,
    );
    // A worker on every trigger that keeps data of its own: run by hand, by an event, by its schedule.
    const worker = await createWorker(
      server,
      owner.token,
      project.id,
      {
        name: 'Keeper',
        slug: 'keeper',
        triggers: { events: ['GoalIncremented'], http: true, cron: '* * * * *' },
      },
      `export default {
  async run(input) { await m3m.models.collection('orders').insert({ id: 'o1', total: 3 }); return 1; },
  async onEvent(event) { await m3m.models.collection('seen').insert({ type: event.type }); },
  async scheduled() { await m3m.models.collection('ticks').insert({ at: Date.now() }); },
};
`,
    );
    await expectStatus(as(owner.token, 'POST', `${p}/workers/${worker.id}/run`, { input: {} }), 200);
    const increment = await expectStatus(
      send(server, 'POST', '/api/v1/goals/doomed-hits/increment', {
        headers: { 'x-api-key': project.apiKey },
      }),
      200,
    );
    expect(increment.json.goalId).toEqual(expect.any(String));
    await server.m3m.triggers.subscriber.waitFor(await server.headPosition());
    server.clock.advance(60_000);
    await server.m3m.triggers.scheduler.runDue();
    await server.m3m.triggers.scheduler.idle();
    const before = await mentions(project.id);
    for (const where of [
      'users',
      'module_licenses',
      'worker_invocations',
      'worker_deliveries',
      'worker_schedule_ticks',
    ]) {
      expect(
        before.some((line) => line.startsWith(`${where}:`)),
        `${where} mentions the project before`,
      ).toBe(true);
    }
    expect(before.some((line) => line.startsWith('collection wm_'))).toBe(true);

    await expectStatus(as(owner.token, 'DELETE', p, { confirm: 'doomed' }), 204);
    await server.m3m.runner.waitFor(await server.headPosition());
    await server.m3m.triggers.subscriber.waitFor(await server.headPosition());

    expect(await mentions(project.id)).toEqual([]);
    // Those who had it see it gone; the licence for it is gone; the slug is free.
    expect((await as(granted.token, 'GET', '/api/v1/me')).json.projectIds).toEqual([]);
    expect((await as(root, 'GET', `/api/v1/admin/users/${owner.user.id}/licenses`)).json.items).toEqual([]);
    await createProject(server, owner.token, 'doomed');
  });
});
