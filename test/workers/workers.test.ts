import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeWorker } from '../../application/workers/invokeWorker.ts';
import { problemOf, ROOT, startTestServer, type TestServer } from '../fixtures/testServer.ts';
import { createProject, createWorker, expectStatus, runBody, send, type WorkerJson } from './fixtures.ts';

/**
 * Workers end to end through the real server and the real sandbox runtime process: create, deploy, versions and
 * rollback, "run now", the HTTP trigger, and the Runtime API functions reaching the real goals, environment,
 * worker data and event store.
 */
describe('workers over HTTP', () => {
  let server: TestServer;
  let owner: string;
  let member: string;
  let project: { id: string; slug: string; apiKey: string };
  let other: { id: string; slug: string; apiKey: string };
  const api = (path = '') => `/api/v1/projects/${project.id}/workers${path}`;

  beforeAll(async () => {
    server = await startTestServer();
    await server.createAdmin(ROOT.email, ROOT.password);
    const root = await server.login(ROOT.email, ROOT.password);
    owner = (await server.createUser(root, { email: 'owner@example.com', permissions: ['create_projects'] }))
      .token;
    const memberUser = await server.createUser(root, { email: 'member@example.com' });
    member = memberUser.token;
    project = await createProject(server, owner, 'shop');
    other = await createProject(server, owner, 'other-shop');
    await expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/members`, {
        token: owner,
        body: { userId: memberUser.user.id },
      }),
      200,
    );
  });
  afterAll(() => server.close());

  const run = (workerId: string, input?: unknown, token = owner, projectId = project.id) =>
    send(server, 'POST', `/api/v1/projects/${projectId}/workers/${workerId}/run`, {
      token,
      body: input === undefined ? {} : { input },
    });

  describe('create, deploy, run', () => {
    it('creates a worker with a slug unique in its project', async () => {
      const worker = await createWorker(server, owner, project.id, { name: 'Hello', slug: 'hello' });
      expect(worker).toMatchObject({
        slug: 'hello',
        enabled: true,
        activeVersion: null,
        latestVersion: 0,
        triggers: { events: [], http: false, cron: null },
        effectiveLimits: { memoryMb: 128, cpuMs: 1000, wallMs: 5000 },
        httpPath: '/run/shop/hello',
      });
      const again = await send(server, 'POST', api(), {
        token: owner,
        body: { name: 'Again', slug: 'hello' },
      });
      expect(again.status).toBe(409);
      expect((again.json as { code: string }).code).toBe('slug_taken');
      // The same slug in another project is fine.
      await createWorker(server, owner, other.id, { name: 'Hello', slug: 'hello' });
    });

    it('refuses a bad cron expression, event type or limit, naming the field', async () => {
      const cron = await send(server, 'POST', api(), {
        token: owner,
        body: { name: 'C', slug: 'c', triggers: { cron: 'every minute' } },
      });
      expect(cron.status).toBe(400);
      expect((await problemOf(new Response(cron.text, { headers: cron.headers }))).errors?.[0]?.field).toBe(
        'body.triggers.cron',
      );
      const events = await send(server, 'POST', api(), {
        token: owner,
        body: { name: 'E', slug: 'e', triggers: { events: ['not-a-type'] } },
      });
      expect(events.status).toBe(400);
      expect(JSON.stringify(events.json)).toContain('body.triggers.events');
      const limits = await send(server, 'POST', api(), {
        token: owner,
        body: { name: 'L', slug: 'l', limits: { cpuMs: 5000 } },
      });
      expect(limits.status).toBe(400);
      expect(JSON.stringify(limits.json)).toContain('body.limits');
      const list = await expectStatus(send(server, 'GET', api(), { token: owner }), 200);
      expect((list.json.items as unknown as WorkerJson[]).map((w) => w.slug)).toEqual(['hello']);
    });

    it('refuses a deploy with a syntax error, with line and column, writing nothing', async () => {
      const worker = await createWorker(server, owner, project.id, { name: 'Broken', slug: 'broken' });
      const head = await server.headPosition();
      const refused = await send(server, 'POST', api(`/${worker.id}/deploy`), {
        token: owner,
        body: { source: 'export default {\n  async run() {\n    return 1 +;\n  },\n};\n' },
      });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.json).toMatchObject({ code: 'syntax_error' });
      const errors = (refused.json as unknown as { errors: { field: string; message: string }[] }).errors;
      expect(errors[0]!.field).toBe('body.source');
      expect(errors[0]!.message).toMatch(/^Line 3, column \d+: /);
      expect(await server.headPosition()).toBe(head);
      const versions = await expectStatus(
        send(server, 'GET', api(`/${worker.id}/versions`), { token: owner }),
        200,
      );
      expect(versions.json.items).toEqual([]);
      const ran = await run(worker.id);
      expect(ran.status).toBe(409);
      expect(ran.json).toMatchObject({ code: 'worker_not_deployed' });
    });

    it('deploys and runs now: result, logs, duration', async () => {
      const worker = await createWorker(
        server,
        owner,
        project.id,
        { name: 'Greeter', slug: 'greeter' },
        runBody(
          "m3m.log.info('greeting', input.name);\nconsole.warn('careful');\nreturn { hello: input.name };",
        ),
      );
      expect(worker.activeVersion).toBe(1);
      const ran = await expectStatus(run(worker.id, { name: 'Ada' }), 200);
      expect(ran.json).toMatchObject({ outcome: 'ok', version: 1, result: { hello: 'Ada' } });
      const logs = ran.json.logs as unknown as { level: string; message: string }[];
      expect(logs.map((l) => `${l.level}: ${l.message}`)).toEqual(['info: greeting Ada', 'warn: careful']);
      expect(ran.json.durationMs).toBeGreaterThan(0);
      // A member may run it too; an error in the worker is a 200 with the error.
      const failing = await createWorker(
        server,
        owner,
        project.id,
        { name: 'Thrower', slug: 'thrower' },
        runBody("throw new RangeError('no ' + input);"),
      );
      const failed = await expectStatus(run(failing.id, 'way', member), 200);
      expect(failed.json).toMatchObject({
        outcome: 'error',
        error: { name: 'RangeError', message: 'no way' },
      });
      expect((failed.json.error as unknown as { stack: string }).stack).toMatch(/worker\.js:3:/);
    });

    it('keeps versions, deploys the draft, rolls back and forward', async () => {
      const worker = await createWorker(
        server,
        owner,
        project.id,
        { name: 'V', slug: 'versioned' },
        runBody('return 1;'),
      );
      const draft = await expectStatus(
        send(server, 'PUT', api(`/${worker.id}/draft`), {
          token: owner,
          body: { source: runBody('return 2;') },
        }),
        200,
      );
      expect(draft.json).toMatchObject({ undeployedChanges: true, draftSource: runBody('return 2;') });
      expect((await run(worker.id)).json.result).toBe(1);
      const deployed = await expectStatus(
        send(server, 'POST', api(`/${worker.id}/deploy`), { token: owner }),
        201,
      );
      expect(deployed.json).toMatchObject({
        version: 2,
        deployed: true,
        worker: { undeployedChanges: false },
      });
      expect((await run(worker.id)).json.result).toBe(2);
      // The same source again changes nothing.
      const same = await expectStatus(
        send(server, 'POST', api(`/${worker.id}/deploy`), {
          token: owner,
          body: { source: runBody('return 2;') },
        }),
        200,
      );
      expect(same.json).toMatchObject({ version: 2, deployed: false });

      const rolledBack = await expectStatus(
        send(server, 'POST', api(`/${worker.id}/versions/1/activate`), { token: owner }),
        200,
      );
      expect(rolledBack.json).toMatchObject({ activeVersion: 1, latestVersion: 2 });
      const after = await expectStatus(run(worker.id), 200);
      expect(after.json).toMatchObject({ result: 1, version: 1 });
      const versions = await expectStatus(
        send(server, 'GET', api(`/${worker.id}/versions`), { token: member }),
        200,
      );
      expect(
        (versions.json.items as unknown as { version: number; active: boolean }[]).map((v) => [
          v.version,
          v.active,
        ]),
      ).toEqual([
        [2, false],
        [1, true],
      ]);
      const v2 = await expectStatus(
        send(server, 'GET', api(`/${worker.id}/versions/2`), { token: member }),
        200,
      );
      expect(v2.json.source).toBe(runBody('return 2;'));
      expect(
        (await send(server, 'POST', api(`/${worker.id}/versions/9/activate`), { token: owner })).status,
      ).toBe(404);
      await expectStatus(
        send(server, 'POST', api(`/${worker.id}/versions/2/activate`), { token: owner }),
        200,
      );
      expect((await run(worker.id)).json.result).toBe(2);
      // Events: created, draft, two deploys, two activations; each version's source is in its event.
      const events = await server.m3m.eventStore.readStream(`worker-${worker.id}`);
      expect(events.map((e) => e.type)).toEqual([
        'WorkerCreated',
        'WorkerDeployed',
        'WorkerDraftSaved',
        'WorkerDeployed',
        'WorkerVersionActivated',
        'WorkerVersionActivated',
      ]);
    });

    it('refuses to run a disabled worker; deleting frees the slug', async () => {
      const worker = await createWorker(
        server,
        owner,
        project.id,
        { name: 'Off', slug: 'off' },
        runBody('return 1;'),
      );
      await expectStatus(
        send(server, 'PATCH', api(`/${worker.id}`), { token: owner, body: { enabled: false } }),
        200,
      );
      const refused = await run(worker.id);
      expect(refused.status).toBe(409);
      expect(refused.json).toMatchObject({ code: 'worker_disabled' });
      await expectStatus(send(server, 'DELETE', api(`/${worker.id}`), { token: owner }), 204);
      expect((await send(server, 'GET', api(`/${worker.id}`), { token: owner })).status).toBe(404);
      await createWorker(server, owner, project.id, { name: 'Off again', slug: 'off' });
    });

    it('passes invokeWorker refusals for a worker of another project as 404', async () => {
      const worker = await createWorker(
        server,
        owner,
        other.id,
        { name: 'Elsewhere', slug: 'elsewhere' },
        runBody('return 1;'),
      );
      expect((await run(worker.id)).status).toBe(404);
      await expect(
        invokeWorker(server.m3m.workers, {
          workerId: worker.id,
          projectId: project.id,
          trigger: { kind: 'manual' },
          handler: 'run',
        }),
      ).rejects.toMatchObject({ code: 'worker_not_found' });
    });
  });
});
