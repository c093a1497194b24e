import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_WINDOW_MS } from '../../infrastructure/http/apiKeys.ts';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Issue 12, item 9: wrong `X-Api-Key` values are limited per client address, and the count lives in the read
 * store, so two m3m processes on one data directory share it: guessing on one does not start afresh on the other.
 */
const API_KEY_MAX_FAILURES = 20; // the default of M3M_API_KEY_MAX_FAILURES

describe('API-key guessing', () => {
  let a: TestServer;
  let b: TestServer;
  let project: { id: string; slug: string; apiKey: string };

  beforeAll(async () => {
    a = await startTestServer();
    b = await startTestServer({ dataDir: a.dataDir, triggers: false });
    const root = await a.signInAsRoot();
    project = await createProject(a, root, 'guarded');
    await createWorker(
      a,
      root,
      project.id,
      { name: 'Hook', slug: 'hook', triggers: { http: true } },
      `export default { fetch() { return 'hi'; } };`,
    );
    await expectStatus(
      send(a, 'POST', `/api/v1/projects/${project.id}/goals`, {
        token: root,
        body: { slug: 'hits', name: 'Hits', type: 'counter' },
      }),
      201,
    );
    await b.m3m.runner.waitFor(await a.headPosition());
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const hook = (server: TestServer, key: string) =>
    send(server, 'POST', '/run/guarded/hook', { headers: { 'x-api-key': key } });
  const increment = (server: TestServer, key: string) =>
    send(server, 'POST', '/api/v1/goals/guarded-hits/increment', { headers: { 'x-api-key': key } });

  it('after the allowed wrong keys from one address, both processes answer 429 with Retry-After, even to the right key', async () => {
    expect((await hook(a, project.apiKey)).status).toBe(200);
    for (let i = 0; i < API_KEY_MAX_FAILURES; i++) {
      const guess =
        i % 2
          ? hook(i % 4 === 1 ? a : b, `m3m_guess-${i}`)
          : increment(i % 4 === 0 ? a : b, `m3m_guess-${i}`);
      expect((await guess).status, `guess ${i}`).toBe(401);
    }
    for (const refused of [
      await hook(a, 'm3m_guess-next'),
      await hook(b, project.apiKey),
      await increment(a, project.apiKey),
      await increment(b, 'm3m_guess-next'),
    ]) {
      expect(refused.status, refused.text).toBe(429);
      expect(refused.json).toMatchObject({ code: 'too_many_requests' });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(API_KEY_WINDOW_MS / 1000);
    }
    a.clock.advance(API_KEY_WINDOW_MS);
    b.clock.advance(API_KEY_WINDOW_MS);
    expect((await hook(b, project.apiKey)).status).toBe(200);
    expect((await increment(a, project.apiKey)).status).toBe(200);
  });
});
