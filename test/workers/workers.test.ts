import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryInvocations } from '../../application/runtime/invocations.ts';
import { invokeWorker } from '../../application/runtime/invokeWorker.ts';
import { expectStatus, problemOf, send } from '../kit/http.ts';
import { createProject, createWorker, type WorkerJson } from '../kit/projects.ts';
import { runBody } from '../kit/sandbox.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

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
    const root = await server.signInAsRoot();
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
        effectiveLimits: { memoryMb: 128, cpuMs: 1000, wallMs: 5000, concurrency: 1 },
        httpPath: '/run/shop/hello',
      });
      const again = await send(server, 'POST', api(), {
        token: owner,
        body: { name: 'Again', slug: 'hello' },
      });
      expect(again.status).toBe(409);
      expect(again.json.code).toBe('slug_taken');
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

  describe('the HTTP trigger', () => {
    let echo: WorkerJson;
    const callRun = (
      path: string,
      init: { method?: string; key?: string | null; body?: string; headers?: Record<string, string> } = {},
    ) => {
      const headers: Record<string, string> = { ...init.headers };
      if (init.key !== null) headers['x-api-key'] = init.key ?? project.apiKey;
      return fetch(`${server.base}${path}`, {
        method: init.method ?? 'GET',
        headers,
        ...(init.body === undefined ? {} : { body: init.body }),
      });
    };

    beforeAll(async () => {
      echo = await createWorker(
        server,
        owner,
        project.id,
        { name: 'Echo', slug: 'echo', triggers: { http: true } },
        `export default {
  async fetch(request) {
    if (request.path === '/boom') throw new Error('boom');
    if (request.path === '/text') return 'plain words';
    if (request.path === '/nothing') return undefined;
    if (request.path === '/bad') return { status: 42 };
    return {
      status: 201,
      headers: { 'x-worker': 'echo', 'content-type': 'application/json' },
      body: { method: request.method, path: request.path, query: request.query, headers: request.headers, body: request.body },
    };
  },
};`,
      );
    });

    it('calls fetch with the request and answers with its response', async () => {
      const response = await callRun('/run/shop/echo/orders/7?x=1&y=a&y=b', {
        method: 'POST',
        body: 'hello body',
        headers: { 'content-type': 'text/plain', cookie: 'session=secret', 'x-custom': 'yes' },
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('x-worker')).toBe('echo');
      const invocationId = response.headers.get('x-m3m-invocation-id');
      expect(invocationId).toMatch(/^[0-9a-f-]{36}$/);
      const json = (await response.json()) as Record<string, Record<string, unknown> | string>;
      expect(json).toMatchObject({
        method: 'POST',
        path: '/orders/7',
        query: { x: '1', y: ['a', 'b'] },
        body: 'hello body',
      });
      const headers = json.headers as Record<string, string>;
      expect(headers['x-custom']).toBe('yes');
      expect(headers).not.toHaveProperty('x-api-key');
      expect(headers).not.toHaveProperty('cookie');
      // The invocation is recorded with its trigger.
      const record = await expectStatus(
        send(server, 'GET', `/api/v1/projects/${project.id}/invocations/${invocationId}`, { token: member }),
        200,
      );
      expect(record.json).toMatchObject({
        trigger: 'http',
        handler: 'fetch',
        workerId: echo.id,
        outcome: 'ok',
      });
    });

    it('answers text, 204, and the root path', async () => {
      const text = await callRun('/run/shop/echo/text');
      expect(text.status).toBe(200);
      expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await text.text()).toBe('plain words');
      expect((await callRun('/run/shop/echo/nothing', { method: 'DELETE' })).status).toBe(204);
      const root = await callRun('/run/shop/echo');
      expect(((await root.json()) as { path: string }).path).toBe('/');
    });

    it('passes every method to the worker, at its root and below it (HEAD and QUERY too, which the document leaves out)', async () => {
      const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'HEAD', 'QUERY'];
      for (const path of ['', '/a/b']) {
        for (const method of methods) {
          // node:http, not fetch: fetch refuses TRACE.
          const answer = await new Promise<{ status: number; worker: unknown; body: string }>(
            (resolve, reject) => {
              const call = request(`${server.base}/run/shop/echo${path}`, {
                method,
                headers: { 'x-api-key': project.apiKey, 'content-type': 'text/plain' },
              });
              call.on('response', (response) => {
                let body = '';
                response.setEncoding('utf8');
                response.on('data', (chunk: string) => {
                  body += chunk;
                });
                response.on('end', () =>
                  resolve({ status: response.statusCode ?? 0, worker: response.headers['x-worker'], body }),
                );
              });
              call.on('error', reject);
              call.end(method === 'QUERY' ? 'q' : undefined);
            },
          );
          expect(answer, `${method} ${path}`).toMatchObject({ status: 201, worker: 'echo' });
          if (method !== 'HEAD') expect(JSON.parse(answer.body)).toMatchObject({ method, path: path || '/' });
        }
      }
    });

    it('refuses without a valid key (401), for an unknown worker or another project (404), with the trigger off (403)', async () => {
      const none = await callRun('/run/shop/echo', { key: null });
      expect(none.status).toBe(401);
      expect(((await none.json()) as { code: string }).code).toBe('api_key_required');
      const wrong = await callRun('/run/shop/echo', { key: `m3m_${'x'.repeat(43)}` });
      expect(wrong.status).toBe(401);
      expect((await callRun('/run/shop/nope')).status).toBe(404);
      expect((await callRun('/run/other-shop/hello')).status).toBe(404);
      // The other project's key does not open this project's workers.
      expect((await callRun('/run/shop/echo', { key: other.apiKey })).status).toBe(404);
      const greeter = await callRun('/run/shop/greeter');
      expect(greeter.status).toBe(403);
      expect(((await greeter.json()) as { code: string }).code).toBe('http_trigger_off');
    });

    it('is a 502 naming the invocation when the worker fails, a 504 when it runs out of time', async () => {
      const boom = await callRun('/run/shop/echo/boom');
      expect(boom.status).toBe(502);
      const problem = (await boom.json()) as { code: string; detail: string };
      expect(problem.code).toBe('worker_failed');
      const id = boom.headers.get('x-m3m-invocation-id')!;
      expect(problem.detail).toContain(id);
      const record = await send(server, 'GET', `/api/v1/projects/${project.id}/invocations/${id}`, {
        token: owner,
      });
      expect(record.json).toMatchObject({ outcome: 'error', error: { message: 'boom' } });
      const bad = await callRun('/run/shop/echo/bad');
      expect(bad.status).toBe(502);
      expect(((await bad.json()) as { code: string }).code).toBe('invalid_worker_response');

      await createWorker(
        server,
        owner,
        project.id,
        { name: 'Spin', slug: 'spin', triggers: { http: true }, limits: { cpuMs: 50, wallMs: 200 } },
        'export default { async fetch() { for (;;) {} } };',
      );
      const spin = await callRun('/run/shop/spin');
      expect(spin.status).toBe(504);
      expect(((await spin.json()) as { code: string }).code).toBe('worker_timeout');
    });
  });

  describe('the Runtime API', () => {
    it('has setTimeout/clearTimeout and queueMicrotask, bounded by the invocation; setInterval says what to use', async () => {
      const worker = await createWorker(
        server,
        owner,
        project.id,
        { name: 'Timers', slug: 'timers', limits: { wallMs: 400 } },
        runBody(`switch (input.case) {
  case 'sleep': {
    const started = Date.now();
    const woke = await new Promise((resolve) => setTimeout(resolve, 60, 'with an argument'));
    return { woke, waited: Date.now() - started >= 55 };
  }
  case 'cleared': {
    const fired = [];
    const a = setTimeout(() => fired.push('a'), 10);
    setTimeout(() => fired.push('b'), 20);
    clearTimeout(a);
    queueMicrotask(() => fired.push('micro'));
    await new Promise((resolve) => setTimeout(resolve, 40));
    return fired;
  }
  case 'left pending':
    setTimeout(() => m3m.log.info('from a timer of an ended invocation'), 30);
    return 'returned';
  case 'throws in a timer':
    setTimeout(() => { throw new Error('timer boom'); }, 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return 'survived';
  case 'too long':
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    return 'never';
  case 'interval':
    try { setInterval(() => {}, 10); } catch (e) { return e.name + ': ' + e.message; }
    return 'no error';
}`),
      );
      const call = async (c: string) => (await expectStatus(run(worker.id, { case: c }), 200)).json;
      expect(await call('sleep')).toMatchObject({
        outcome: 'ok',
        result: { woke: 'with an argument', waited: true },
      });
      expect(await call('cleared')).toMatchObject({ outcome: 'ok', result: ['micro', 'b'] });
      const pending = await call('left pending');
      expect(pending).toMatchObject({ outcome: 'ok', result: 'returned', logs: [] });
      await new Promise((resolve) => setTimeout(resolve, 60));
      // The next invocation on the same warm isolate never sees the ended one's timer.
      expect((await call('sleep')).logs).toEqual([]);
      const thrown = await call('throws in a timer');
      expect(thrown).toMatchObject({ outcome: 'ok', result: 'survived' });
      expect(JSON.stringify(thrown.logs)).toContain('Uncaught exception in a setTimeout callback');
      expect(await call('too long')).toMatchObject({ outcome: 'timeout' });
      const interval = (await call('interval')).result as string;
      expect(interval).toMatch(/^TypeError: setInterval is not available in workers: .*schedule trigger/);
    });

    it('goals.increment increments the real goal, as the worker', async () => {
      const goal = await expectStatus(
        send(server, 'POST', `/api/v1/projects/${project.id}/goals`, {
          token: owner,
          body: { slug: 'visits', name: 'Visits', type: 'daily_counter' },
        }),
        201,
      );
      const foreign = await expectStatus(
        send(server, 'POST', `/api/v1/projects/${other.id}/goals`, {
          token: owner,
          body: { slug: 'theirs', name: 'Theirs', type: 'counter' },
        }),
        201,
      );
      const worker = await createWorker(
        server,
        owner,
        project.id,
        { name: 'Counter', slug: 'counter' },
        runBody(`const done = await m3m.goals.increment(input.slug, input.by);
return done;`),
      );
      const ran = await expectStatus(run(worker.id, { slug: 'visits', by: 2 }), 200);
      expect(ran.json).toMatchObject({ outcome: 'ok', result: { slug: 'shop-visits', by: 2 } });
      await expectStatus(run(worker.id, { slug: 'shop-visits' }), 200);
      await server.m3m.runner.waitFor(await server.headPosition());
      const stats = await expectStatus(
        send(server, 'GET', `/api/v1/goals/shop-visits/stats`, { token: member }),
        200,
      );
      expect(stats.json.total).toBe(3);
      const events = await server.m3m.eventStore.readStream(`goal-increments-${goal.json.id}`);
      expect(events.map((e) => [e.metadata.source, (e.data as { projectId: string }).projectId])).toEqual([
        [`worker:${worker.id}`, project.id],
        [`worker:${worker.id}`, project.id],
      ]);
      // Another project's goal is as unknown to the worker as a missing one: no way to list others' slugs.
      const denied = await expectStatus(run(worker.id, { slug: foreign.json.slug }), 200);
      const missing = await expectStatus(run(worker.id, { slug: 'nope' }), 200);
      expect(missing.json).toMatchObject({ outcome: 'error', error: { name: 'NotFoundError' } });
      expect(denied.json.error).toEqual(missing.json.error);
      const badArgs = await expectStatus(run(worker.id, { slug: 'visits', by: -1 }), 200);
      expect(badArgs.json).toMatchObject({ outcome: 'error', error: { name: 'TypeError' } });
      expect((badArgs.json.error as { message: string }).message).toMatch(
        /^m3m\.goals\.increment\(slug, by\?\): /,
      );
    });

    it('env.get returns variables, secrets decrypted', async () => {
      await expectStatus(
        send(server, 'PUT', `/api/v1/projects/${project.id}/environment/API_TOKEN`, {
          token: owner,
          body: { value: 'tok-9f8e7d-secret', secret: true },
        }),
        200,
      );
      await expectStatus(
        send(server, 'PUT', `/api/v1/projects/${project.id}/environment/MODE`, {
          token: owner,
          body: { value: 'live' },
        }),
        200,
      );
      const worker = await createWorker(
        server,
        owner,
        project.id,
        { name: 'Env', slug: 'env' },
        runBody(
          "return [await m3m.env.get('API_TOKEN'), await m3m.env.get('MODE'), await m3m.env.get('MISSING')];",
        ),
      );
      const ran = await expectStatus(run(worker.id), 200);
      expect(ran.json.result).toEqual(['tok-9f8e7d-secret', 'live', null]);
      // The record keeps a preview of the result: secrets a worker returns are the worker's business.
    });

    it('models: CRUD in the project namespace, isolated between projects, untouched by a replay', async () => {
      const crud = runBody(`const c = m3m.models.collection('orders');
if (input === 'read') return await c.find({}, { sort: { item: 1 } });
const a = await c.insert({ item: 'tea', qty: 2, tags: ['hot'] });
await c.insert({ id: 'fixed-1', item: 'cake', qty: 5 });
const big = await c.find({ qty: { $gte: 3 } });
const one = await c.findOne('fixed-1');
const byFilter = await c.findOne({ item: 'tea' });
const updated = await c.update('fixed-1', { $inc: { qty: 1 }, $set: { note: 'more' } });
const merged = await c.update(a.id, { qty: 3 });
const none = await c.update('missing', { qty: 1 });
const removed = await c.delete(a.id);
const again = await c.delete(a.id);
const errors = [];
for (const attempt of [
  () => c.insert({ id: 'fixed-1' }),
  () => m3m.models.collection('Bad Name').find(),
  () => c.find({ 'a b': 1 }),
  () => c.insert({ blob: 'x'.repeat(300 * 1024) }),
  () => c.find({}, { limit: 5000 }),
]) {
  try { await attempt(); errors.push('no error'); } catch (e) { errors.push(e.name + ': ' + e.message); }
}
return { a, big, one, byFilter, updated, merged, none, removed, again, errors, left: await c.find() };`);
      const mine = await createWorker(server, owner, project.id, { name: 'Orders', slug: 'orders' }, crud);
      const theirs = await createWorker(server, owner, other.id, { name: 'Orders', slug: 'orders' }, crud);
      const ran = await expectStatus(run(mine.id), 200);
      expect(ran.json.outcome, JSON.stringify(ran.json.error)).toBe('ok');
      const r = ran.json.result as Record<string, unknown> & { a: { id: string } };
      expect(r.a).toMatchObject({ item: 'tea', qty: 2, tags: ['hot'] });
      expect(r.a.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.big).toEqual([{ id: 'fixed-1', item: 'cake', qty: 5 }]);
      expect(r.one).toEqual({ id: 'fixed-1', item: 'cake', qty: 5 });
      expect(r.byFilter).toMatchObject({ id: r.a.id });
      expect(r.updated).toEqual({ id: 'fixed-1', item: 'cake', qty: 6, note: 'more' });
      expect(r.merged).toMatchObject({ item: 'tea', qty: 3 });
      expect(r).toMatchObject({ none: null, removed: true, again: false });
      const errors = r.errors as string[];
      expect(errors[0]).toBe('Error: a document with this id already exists');
      expect(errors[1]).toMatch(/^TypeError: a collection name is/);
      expect(errors[2]).toMatch(/^TypeError: filter: "a b" is not a field path/);
      expect(errors[3]).toMatch(/^RangeError: a document is at most 262144 bytes/);
      expect(errors[4]).toMatch(/^RangeError: find: limit/);
      expect(r.left).toEqual([{ id: 'fixed-1', item: 'cake', qty: 6, note: 'more' }]);

      // The other project's collection of the same name is its own.
      expect((await expectStatus(run(theirs.id, 'read', owner, other.id), 200)).json.result).toEqual([]);
      // A replay rebuilds the read models; worker data is primary data and stays.
      await server.m3m.runner.replay();
      expect((await expectStatus(run(mine.id, 'read'), 200)).json.result).toEqual([
        { id: 'fixed-1', item: 'cake', qty: 6, note: 'more' },
      ]);
      const collections = await server.m3m.readStore.listCollections();
      expect(collections).toContain(`wm_${project.id.replaceAll('-', '')}_orders`);
    });

    it('events.emit appends a custom event with causation and depth, refusing built-in types and loops', async () => {
      const worker = await createWorker(
        server,
        owner,
        project.id,
        { name: 'Emitter', slug: 'emitter' },
        runBody(
          `try { return await m3m.events.emit(input.type, input.data); } catch (e) { return { error: e.name + ': ' + e.message }; }`,
        ),
      );
      const ran = await expectStatus(run(worker.id, { type: 'OrderPlaced', data: { order: 7 } }), 200);
      const { eventId } = ran.json.result as { eventId: string };
      const stream = await server.m3m.eventStore.readStream(`project-events-${project.id}`);
      const event = stream.find((e) => e.id === eventId)!;
      expect(event).toMatchObject({
        type: 'OrderPlaced',
        data: { projectId: project.id, payload: { order: 7 }, depth: 1 },
        metadata: { source: `worker:${worker.id}`, causationId: null, actorId: null },
      });

      // Invoked for an event (as the runtime subscriber does): causation is that event, depth one more.
      const invoked = await invokeWorker(server.m3m.workers, {
        workerId: worker.id,
        trigger: { kind: 'event', eventId },
        handler: 'run',
        input: { type: 'OrderShipped', data: null },
        eventDepth: 1,
        correlationId: 'corr-1',
      });
      const shipped = (await server.m3m.eventStore.readStream(`project-events-${project.id}`)).find(
        (e) => e.id === (invoked.result as { eventId: string }).eventId,
      );
      expect(shipped).toMatchObject({
        type: 'OrderShipped',
        data: { depth: 2, payload: null },
        metadata: { causationId: eventId, correlationId: 'corr-1' },
      });
      expect(invoked).toMatchObject({ trigger: 'event', eventId });

      const tooDeep = await invokeWorker(server.m3m.workers, {
        workerId: worker.id,
        trigger: { kind: 'event', eventId },
        handler: 'run',
        input: { type: 'OrderShipped' },
        eventDepth: 8,
      });
      expect((tooDeep.result as { error: string }).error).toMatch(/^RangeError: event chain too deep/);
      for (const type of ['GoalIncremented', 'ProjectDeleted', 'WorkerDeployed', 'lowercase']) {
        const refused = await expectStatus(run(worker.id, { type, data: {} }), 200);
        expect((refused.json.result as { error: string }).error).toMatch(/^TypeError: /);
      }
      const huge = await expectStatus(run(worker.id, { type: 'Big', data: 'x'.repeat(70_000) }), 200);
      expect((huge.json.result as { error: string }).error).toMatch(/^RangeError: event data is at most/);
      const after = await server.m3m.eventStore.readStream(`project-events-${project.id}`);
      expect(after.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderShipped']);
    });

    describe('http.fetch', () => {
      let target: Server;
      let url: string;
      beforeAll(async () => {
        target = createServer((req, res) => {
          if (req.url === '/big') {
            res.end('x'.repeat(1024 * 1024 + 10));
            return;
          }
          let body = '';
          req.on('data', (c) => {
            body += c;
          });
          req.on('end', () => {
            res.setHeader('content-type', 'application/json');
            res.end(
              JSON.stringify({
                method: req.method,
                url: req.url,
                body,
                auth: req.headers.authorization ?? null,
              }),
            );
          });
        });
        await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
        url = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
      });
      afterAll(() => new Promise<void>((resolve) => target.close(() => resolve())));

      const fetcher = runBody(
        `try { return await m3m.http.fetch(input.url, input.init); } catch (e) { return { error: e.name + ': ' + e.message }; }`,
      );

      it('refuses loopback by default, and reaches a local server when private addresses are allowed', async () => {
        const worker = await createWorker(
          server,
          owner,
          project.id,
          { name: 'Fetch', slug: 'fetch' },
          fetcher,
        );
        const refused = await expectStatus(run(worker.id, { url: `${url}/hello` }), 200);
        expect((refused.json.result as { error: string }).error).toMatch(
          /^FetchError: m3m.http.fetch refuses private, loopback and link-local addresses \(127\.0\.0\.1\)/,
        );
        const byName = await expectStatus(run(worker.id, { url: `http://localhost:1/` }), 200);
        expect((byName.json.result as { error: string }).error).toMatch(/refuses private/);
        const scheme = await expectStatus(run(worker.id, { url: 'file:///etc/passwd' }), 200);
        expect((scheme.json.result as { error: string }).error).toMatch(
          /^TypeError: m3m.http.fetch: only http and https/,
        );

        // M3M_ALLOW_PRIVATE_FETCH=true (tests only): a second server whose workers may reach loopback.
        const allowing = await startTestServer({ env: { M3M_ALLOW_PRIVATE_FETCH: 'true' }, triggers: false });
        try {
          const token = await allowing.signInAsRoot();
          const local = await createProject(allowing, token, 'local');
          const localWorker = await createWorker(
            allowing,
            token,
            local.id,
            { name: 'F', slug: 'f' },
            fetcher,
          );
          const call = (input: unknown) =>
            expectStatus(
              send(allowing, 'POST', `/api/v1/projects/${local.id}/workers/${localWorker.id}/run`, {
                token,
                body: { input },
              }),
              200,
            );
          const ok = await call({
            url: `${url}/hello?a=1`,
            init: { method: 'post', headers: { authorization: 'Bearer t' }, body: { n: 1 } },
          });
          const result = ok.json.result as { status: number; headers: Record<string, string>; body: string };
          expect(result.status).toBe(200);
          expect(result.headers['content-type']).toBe('application/json');
          expect(JSON.parse(result.body)).toEqual({
            method: 'POST',
            url: '/hello?a=1',
            body: '{"n":1}',
            auth: 'Bearer t',
          });
          const big = await call({ url: `${url}/big` });
          expect((big.json.result as { error: string }).error).toMatch(
            /the response is larger than 1048576 bytes/,
          );
        } finally {
          await allowing.close();
        }
      });
    });
  });

  describe('invocation records, live stream, statistics', () => {
    let worker: WorkerJson;
    beforeAll(async () => {
      worker = await createWorker(
        server,
        owner,
        project.id,
        { name: 'Flaky', slug: 'flaky' },
        runBody(
          "if (input && input.fail) throw new Error('asked to fail');\nm3m.log.info('ran', input && input.n);\nreturn input && input.n;",
        ),
      );
    });
    const list = (query: string, token = member) =>
      expectStatus(send(server, 'GET', api(`/${worker.id}/invocations${query}`), { token }), 200);

    it('lists records newest first with filters and cursor pagination', async () => {
      for (let n = 1; n <= 5; n++) await expectStatus(run(worker.id, { n }), 200);
      await expectStatus(run(worker.id, { fail: true }), 200);
      const first = await list('?limit=2');
      const items = first.json.items as {
        resultPreview: string;
        outcome: string;
        logs: { message: string }[];
      }[];
      expect(items.map((i) => i.outcome)).toEqual(['error', 'ok']);
      expect(items[1]!.resultPreview).toBe('5');
      expect(items[1]!.logs.map((l) => l.message)).toEqual(['ran 5']);
      const second = await list(`?limit=2&cursor=${encodeURIComponent(first.json.nextCursor as string)}`);
      expect((second.json.items as { resultPreview: string }[]).map((i) => i.resultPreview)).toEqual([
        '4',
        '3',
      ]);
      const third = await list(`?limit=2&cursor=${encodeURIComponent(second.json.nextCursor as string)}`);
      expect((third.json.items as { resultPreview: string }[]).map((i) => i.resultPreview)).toEqual([
        '2',
        '1',
      ]);
      expect(third.json.nextCursor).toBeNull();
      const errors = await list('?outcome=error');
      expect(errors.json.items).toHaveLength(1);
      expect(errors.json.items).toMatchObject([
        { error: { message: 'asked to fail' }, trigger: 'manual', version: 1 },
      ]);
      expect((await list('?trigger=http')).json.items).toEqual([]);
      const future = new Date(Date.now() + 3_600_000).toISOString();
      expect((await list(`?from=${future}`)).json.items).toEqual([]);
      expect((await list(`?to=${future}&limit=100`)).json.items).toHaveLength(6);
      const bad = await send(server, 'GET', api(`/${worker.id}/invocations?outcome=meh`), { token: member });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.json)).toContain('querystring.outcome');
      // The project-wide list holds every worker's records.
      const all = await expectStatus(
        send(server, 'GET', `/api/v1/projects/${project.id}/invocations?workerId=${worker.id}&limit=100`, {
          token: member,
        }),
        200,
      );
      expect(all.json.items).toHaveLength(6);
    });

    it('streams new invocations live (Server-Sent Events)', async () => {
      const controller = new AbortController();
      const response = await fetch(`${server.base}${api(`/${worker.id}/invocations/stream`)}`, {
        headers: { authorization: `Bearer ${member}` },
        signal: controller.signal,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let received = '';
      const readUntil = async (pattern: RegExp) => {
        while (!pattern.test(received)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended: ${received}`);
          received += decoder.decode(value, { stream: true });
        }
      };
      await readUntil(/following invocations/);
      const ran = await expectStatus(run(worker.id, { n: 42 }), 200);
      await readUntil(/event: invocation\nid: \S+\ndata: .*\n\n/);
      const match = /event: invocation\nid: (\S+)\ndata: (.*)\n\n/.exec(received)!;
      expect(match[1]).toBe(ran.json.invocationId);
      expect(JSON.parse(match[2]!)).toMatchObject({
        workerId: worker.id,
        resultPreview: '42',
        outcome: 'ok',
      });
      controller.abort();
      // An outsider cannot follow (404), nor can the anonymous (401).
      const anonymous = await fetch(`${server.base}${api(`/${worker.id}/invocations/stream`)}`);
      expect(anonymous.status).toBe(401);
    });

    it('keeps daily statistics: invocations, errors, p50 and p95', async () => {
      const today = server.clock.now().toISOString().slice(0, 10);
      const stats = await expectStatus(
        send(server, 'GET', api(`/${worker.id}/stats?from=${today}&to=${today}`), { token: member }),
        200,
      );
      const day = (
        stats.json.days as {
          day: string;
          invocations: number;
          errors: number;
          p50Ms: number;
          p95Ms: number;
        }[]
      )[0]!;
      expect(day).toMatchObject({ day: today, invocations: 7, errors: 1 });
      expect(day.p50Ms).toBeGreaterThan(0);
      expect(day.p95Ms).toBeGreaterThanOrEqual(day.p50Ms);
      expect(stats.json.total).toMatchObject({ invocations: 7, errors: 1 });
      const range = await expectStatus(
        send(server, 'GET', api(`/${worker.id}/stats`), { token: member }),
        200,
      );
      expect(range.json.days).toHaveLength(30);
      const bad = await send(server, 'GET', api(`/${worker.id}/stats?from=2026-02-30`), { token: member });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.json)).toContain('querystring.from');
    });

    it('serves the Runtime API declarations, with the active extensions of the project', async () => {
      const original = server.m3m.workers.extensions;
      server.m3m.workers.extensions = {
        forProject: async (id) =>
          id === project.id
            ? [
                {
                  moduleCode: 'greeter',
                  functions: {
                    'greeter.hello': (args, ctx) =>
                      `hello ${String(args[0])} from ${ctx.workerId === worker.id}`,
                  },
                  dts: 'namespace greeter { function hello(name: string): Promise<string>; }',
                },
              ]
            : [],
      };
      try {
        const dts = await send(server, 'GET', `/api/v1/projects/${project.id}/runtime.d.ts`, {
          token: member,
        });
        expect(dts.status).toBe(200);
        expect(dts.headers.get('content-type')).toMatch(/^text\/plain/);
        expect(dts.text).toContain('declare namespace m3m {');
        expect(dts.text).toContain('function increment(slug: string, by?: number)');
        expect(dts.text).toContain('namespace greeter { function hello(name: string): Promise<string>; }');
        expect(dts.text.trimEnd().endsWith('}')).toBe(true);
        const plain = await send(server, 'GET', `/api/v1/projects/${other.id}/runtime.d.ts`, {
          token: owner,
        });
        expect(plain.text).not.toContain('greeter');
        const greeter = await createWorker(
          server,
          owner,
          project.id,
          { name: 'Greets', slug: 'greets' },
          runBody("return [typeof m3m.greeter, await m3m.greeter.hello('Ada')];"),
        );
        expect((await run(greeter.id)).json.result).toEqual(['object', 'hello Ada from false']);
      } finally {
        server.m3m.workers.extensions = original;
      }
    });

    // Last: the clock moves eight days on (login tokens expire with it), so this uses the application directly.
    it('deletes records older than the retention period, keeping the statistics', async () => {
      const before = await queryInvocations(server.m3m.readStore, project.id, {
        workerId: worker.id,
        limit: 100,
      });
      expect(before.items.length).toBeGreaterThanOrEqual(7);
      server.clock.advance(8 * 86_400_000);
      const fresh = await invokeWorker(server.m3m.workers, {
        workerId: worker.id,
        trigger: { kind: 'manual' },
        handler: 'run',
        input: { n: 99 },
      });
      const removed = await server.m3m.sweepInvocations();
      expect(removed).toBeGreaterThanOrEqual(before.items.length);
      const after = await queryInvocations(server.m3m.readStore, project.id, {
        workerId: worker.id,
        limit: 100,
      });
      expect(after.items.map((i) => i.id)).toEqual([fresh.id]);
    });
  });
});
