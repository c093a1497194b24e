import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { runBody } from '../kit/sandbox.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/** Issue 12, item 8: the small ways one tenant could break a request or learn about another. */
describe('small tenant-safety fixes', () => {
  let server: TestServer;
  let root: string;
  let project: { id: string; slug: string; apiKey: string };

  beforeAll(async () => {
    server = await startTestServer();
    root = await server.signInAsRoot();
    project = await createProject(server, root, 'small');
  });
  afterAll(() => server.close());

  const run = (workerId: string, input?: unknown) =>
    send(server, 'POST', `/api/v1/projects/${project.id}/workers/${workerId}/run`, {
      token: root,
      body: { input },
    });

  it('a run input nested 20,000 levels deep is a 400 naming the nesting, not a 500', async () => {
    const worker = await createWorker(
      server,
      root,
      project.id,
      { name: 'Echo', slug: 'echo' },
      runBody('return 1;'),
    );
    const deep = `{"input":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const response = await send(server, 'POST', `/api/v1/projects/${project.id}/workers/${worker.id}/run`, {
      token: root,
      body: deep,
    });
    expect(response.status, response.text).toBe(400);
    expect(response.json).toMatchObject({
      code: 'bad_request',
      detail: expect.stringMatching(/deeper than 100/),
    });
    const fine = `{"input":${'['.repeat(90)}"x"${']'.repeat(90)}}`;
    const ok = await send(server, 'POST', `/api/v1/projects/${project.id}/workers/${worker.id}/run`, {
      token: root,
      body: fine,
    });
    expect(ok.status, ok.text).toBe(200);
  });

  it('a worker response header with a control or non-Latin-1 character is a 502 invalid_worker_response', async () => {
    const worker = await createWorker(
      server,
      root,
      project.id,
      { name: 'Hdr', slug: 'hdr', triggers: { http: true } },
      `export default { fetch(request) { return { status: 200, headers: { 'x-bad': request.query.v }, body: 'hi' }; } };`,
    );
    expect(worker.slug).toBe('hdr');
    for (const value of ['snow\u2603man', 'bell\u0007', 'latin-1 é is fine']) {
      const response = await send(server, 'GET', `/run/small/hdr?v=${encodeURIComponent(value)}`, {
        headers: { 'x-api-key': project.apiKey },
      });
      if (value.startsWith('latin-1')) {
        expect(response.status, response.text).toBe(200);
        continue;
      }
      expect(response.status, response.text).toBe(502);
      expect(response.json).toMatchObject({ code: 'invalid_worker_response' });
    }
  });

  it('goals.increment refuses NaN, Infinity, null and fractions with a TypeError; nothing counts', async () => {
    await expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/goals`, {
        token: root,
        body: { slug: 'hits', name: 'Hits', type: 'counter' },
      }),
      201,
    );
    const worker = await createWorker(
      server,
      root,
      project.id,
      { name: 'Inc', slug: 'inc' },
      runBody(`const by = { nan: NaN, inf: Infinity, minf: -Infinity, null: null, half: 1.5, zero: 0, undef: undefined }[input];
if (input === 'none') return (await m3m.goals.increment('hits')).by;
return (await m3m.goals.increment('hits', by)).by;`),
    );
    for (const name of ['nan', 'inf', 'minf', 'null', 'half', 'zero']) {
      const ran = await expectStatus(run(worker.id, name), 200);
      expect(ran.json, name).toMatchObject({
        outcome: 'error',
        error: {
          name: 'TypeError',
          message: expect.stringMatching(/^m3m\.goals\.increment\(slug, by\?\): /),
        },
      });
    }
    for (const name of ['none', 'undef']) {
      expect((await expectStatus(run(worker.id, name), 200)).json).toMatchObject({
        outcome: 'ok',
        result: 1,
      });
    }
    await server.m3m.runner.waitFor(await server.headPosition());
    const stats = await expectStatus(
      send(server, 'GET', '/api/v1/goals/small-hits/stats', { token: root }),
      200,
    );
    expect(stats.json.total).toBe(2);
  });

  it('creates the data directory 0700 and its databases and keys 0600', async () => {
    const mode = async (name: string) => (await stat(join(server.dataDir, name))).mode & 0o777;
    expect((await mode('.')).toString(8)).toBe('700');
    for (const file of ['events.sqlite', 'read.sqlite', 'secrets-key']) {
      expect((await mode(file)).toString(8), file).toBe('600');
    }
  });

  it('http.fetch refuses 6to4, NAT64 and IPv4-compatible forms of private addresses before connecting', async () => {
    const worker = await createWorker(
      server,
      root,
      project.id,
      { name: 'Fetch', slug: 'fetch' },
      runBody(`try { await m3m.http.fetch(input); return 'reached'; } catch (e) { return e.message; }`),
    );
    for (const host of [
      '[2002:7f00:1::]',
      '[2002:a00:1::1]',
      '[64:ff9b::127.0.0.1]',
      '[64:ff9b:0:0:0:0:a9fe:a9fe]',
      '[::127.0.0.1]',
      '[::a00:1]',
    ]) {
      const ran = await expectStatus(run(worker.id, `http://${host}:9/`), 200);
      expect(ran.json.result, host).toMatch(/refuses private, loopback and link-local addresses/);
    }
  });
});
