import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf } from '../kit/http.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

describe('a write while the read models are stuck', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ readModelWaitMs: 200, triggers: false });
    await server.createAdmin(ROOT.email, ROOT.password);
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 503 read_models_behind with Retry-After, and the change is recorded', async () => {
    const token = await server.login(ROOT.email, ROOT.password);
    await server.m3m.runner.stop();
    const head = await server.headPosition();

    const response = await server.request('POST', '/api/v1/projects', {
      token,
      body: { name: 'Late', slug: 'late' },
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect((await problemOf(response)).code).toBe('read_models_behind');
    expect(await server.headPosition()).toBeGreaterThan(head);

    await server.m3m.runner.start();
    const listed = await server.request('GET', '/api/v1/projects', { token });
    expect(((await listed.json()) as { items: { slug: string }[] }).items.map((p) => p.slug)).toContain(
      'late',
    );
  });
});
