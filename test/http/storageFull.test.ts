import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../kit/http.ts';
import { createProject } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';
import { mountSmallDisk, type SmallDisk } from '../kit/smallDisk.ts';

// Issue 11, defect 13: with the disk full every write was a generic 500 `internal_error`, /health stayed 200 ok
// and each refused write logged a stack (2,131 lines in 4 s). A real full file system here, not a mock.
describe('a full disk', () => {
  let disk: SmallDisk;
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    disk = mountSmallDisk(48);
    server = await startTestServer({
      dataDir: disk.dir,
      captureLogs: true,
      env: { M3M_LOG_LEVEL: 'info' },
    });
    token = await server.signInAsRoot();
    await createProject(server, token, 'before');
  });
  afterAll(async () => {
    await server?.close();
    disk?.unmount();
  });

  it('refuses writes with 507 storage_full, reports /health degraded, logs it rarely, and recovers', async () => {
    disk.fill();
    // The event store may still have room in pages it holds already: write until it has none.
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof send>> | undefined;
    const blob = 'x'.repeat(30_000);
    for (let i = 0; i < 300 && !refused; i++) {
      const sent = await send(server, 'POST', '/api/v1/projects', {
        token,
        body: { name: `Full ${i}`, slug: `full-${i}` },
      });
      statuses.push(sent.status);
      if (sent.status === 507) refused = sent;
      else {
        // Bigger writes fill what is left faster: environment variables nearly as large as m3m allows.
        const id = (sent.json as { id?: string }).id;
        for (let v = 0; v < 5 && id && !refused; v++) {
          const variable = await send(server, 'PUT', `/api/v1/projects/${id}/environment/FILL_${v}`, {
            token,
            body: { value: blob },
          });
          statuses.push(variable.status);
          if (variable.status === 507) refused = variable;
        }
      }
    }
    expect(statuses).not.toContain(500);
    expect(refused, `statuses: ${statuses.join(' ')}`).toBeDefined();
    expect(refused!.headers.get('content-type')).toContain('application/problem+json');
    expect(refused!.json).toMatchObject({
      status: 507,
      code: 'storage_full',
      type: '/api/v1/problems/storage_full',
    });

    // Many more refusals: each a 507, and the log says so once, not once per request.
    const more = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        send(server, 'POST', '/api/v1/projects', { token, body: { name: `More ${i}`, slug: `more-${i}` } }),
      ),
    );
    expect(new Set(more.map((m) => m.status))).toEqual(new Set([507]));
    const fullLines = server.logs.filter((line) => line.includes('storage is full'));
    expect(fullLines.length).toBeGreaterThanOrEqual(1);
    expect(fullLines.length).toBeLessThanOrEqual(2);
    expect(server.logs.filter((line) => line.includes('"msg":"request failed"'))).toEqual([]);

    const health = await server.request('GET', '/health');
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      status: 'degraded',
      storage: { state: 'full', refusedWrites: expect.any(Number) },
    });

    disk.free();
    const after = await send(server, 'POST', '/api/v1/projects', {
      token,
      body: { name: 'After', slug: 'after' },
    });
    expect(after.status).toBe(201);
    const healthy = (await (await server.request('GET', '/health')).json()) as { storage: unknown };
    expect(healthy.storage).toEqual({ state: 'ok' });
    expect(server.logs.some((line) => line.includes('storage has room again'))).toBe(true);
  });
});
