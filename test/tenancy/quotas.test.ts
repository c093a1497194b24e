import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Issue 12, item 5: one run could store 78 MB and fill the disk. Worker documents (count and bytes) and
 * invocation logs have per-project quotas, installation defaults from M3M_QUOTA_*, a global admin's own value
 * per project, enforced on write with `quota_exceeded`, and usage in the project's API.
 */
describe('per-project storage quotas', () => {
  let server: TestServer;
  let root: string;

  beforeAll(async () => {
    server = await startTestServer({
      env: { M3M_QUOTA_DOCUMENTS: '5', M3M_QUOTA_DOCUMENT_BYTES: '4000', M3M_QUOTA_LOG_BYTES: '3000' },
    });
    root = await server.signInAsRoot();
  });
  afterAll(() => server?.close());

  const run = async (projectId: string, workerId: string, input?: unknown) =>
    (
      await expectStatus(
        send(server, 'POST', `/api/v1/projects/${projectId}/workers/${workerId}/run`, {
          token: root,
          body: { input },
        }),
        200,
      )
    ).json;
  type Meter = { used: number; quota: number };
  type Usage = {
    documents: Meter;
    documentBytes: Meter;
    logBytes: Meter;
    overrides: Record<string, unknown>;
  };
  const usage = async (projectId: string, token = root) =>
    (await expectStatus(send(server, 'GET', `/api/v1/projects/${projectId}/usage`, { token }), 200))
      .json as unknown as Usage;

  /** Inserts `count` documents of `size` characters; stops at the first refusal and reports it. */
  const filler = `export default {
    async run({ count, size, start = 0 }) {
      const orders = m3m.models.collection('orders');
      let stored = 0;
      try {
        for (let i = start; i < start + count; i++) {
          await orders.insert({ id: 'o' + i, note: 'x'.repeat(size) });
          stored++;
        }
      } catch (e) {
        return { stored, error: e.name + ': ' + e.message };
      }
      return { stored };
    },
  };`;

  it('a worker cannot store more documents than the quota; other projects are not affected; usage shows it', async () => {
    const project = await createProject(server, root, 'hoarder');
    const other = await createProject(server, root, 'bystander');
    const worker = await createWorker(server, root, project.id, { name: 'Fill', slug: 'fill' }, filler);
    const calm = await createWorker(server, root, other.id, { name: 'Fill', slug: 'fill' }, filler);

    const first = await run(project.id, worker.id, { count: 50, size: 10 });
    expect(first.outcome).toBe('ok');
    expect(first.result).toEqual({
      stored: 5,
      error: expect.stringMatching(
        /^QuotaExceededError: The project's quota of 5 documents would be passed \(5 used, this write adds 1\)/,
      ),
    });
    expect(await usage(project.id)).toMatchObject({
      documents: { used: 5, quota: 5 },
      documentBytes: { used: expect.any(Number), quota: 4000 },
      overrides: { documents: null, documentBytes: null, logBytes: null },
    });
    expect((await run(other.id, calm.id, { count: 3, size: 10 })).result).toEqual({ stored: 3 });

    // Deleting a document (the owner, through the API) frees its place.
    await expectStatus(
      send(server, 'DELETE', `/api/v1/projects/${project.id}/collections/orders/documents/o0`, {
        token: root,
      }),
      204,
    );
    expect((await usage(project.id)).documents).toEqual({ used: 4, quota: 5 });
    expect((await run(project.id, worker.id, { count: 2, size: 10, start: 100 })).result).toMatchObject({
      stored: 1,
    });

    // A global admin gives this project more room; a member of it (not an admin) may not.
    const member = await server.createUser(root, { email: 'member@example.com', projectIds: [project.id] });
    const refused = await send(server, 'PUT', `/api/v1/admin/projects/${project.id}/quotas`, {
      token: member.token,
      body: { documents: 1000 },
    });
    expect(refused.status).toBe(403);
    const bad = await send(server, 'PUT', `/api/v1/admin/projects/${project.id}/quotas`, {
      token: root,
      body: { documents: -1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('documents');
    const raised = await expectStatus(
      send(server, 'PUT', `/api/v1/admin/projects/${project.id}/quotas`, {
        token: root,
        body: { documents: 8 },
      }),
      200,
    );
    expect(raised.json).toMatchObject({
      documents: { used: 5, quota: 8 },
      overrides: { documents: 8, documentBytes: null, logBytes: null },
    });
    expect((await usage(project.id, member.token)).documents).toEqual({ used: 5, quota: 8 });
    expect((await run(project.id, worker.id, { count: 10, size: 10, start: 200 })).result).toMatchObject({
      stored: 3,
    });
    // The other project still has the installation's default.
    expect((await usage(other.id)).documents).toEqual({ used: 3, quota: 5 });
  });

  it('bytes: an insert or an update that would pass the byte quota is refused and nothing of it is written', async () => {
    const project = await createProject(server, root, 'bulky');
    const worker = await createWorker(
      server,
      root,
      project.id,
      { name: 'Big', slug: 'big' },
      `export default {
        async run({ op }) {
          const c = m3m.models.collection('blobs');
          try {
            if (op === 'insert') { await c.insert({ id: 'a', v: 'x'.repeat(2500) }); await c.insert({ id: 'b', v: 'x'.repeat(2500) }); }
            if (op === 'grow') { await c.insert({ id: 'c', v: 'x' }); await c.update('c', { v: 'x'.repeat(3000) }); }
          } catch (e) { return e.name + ': ' + e.message; }
          return 'ok';
        },
      };`,
    );
    expect((await run(project.id, worker.id, { op: 'insert' })).result).toMatch(
      /^QuotaExceededError: The project's quota of 4000 bytes of documents would be passed/,
    );
    const afterInsert = await usage(project.id);
    expect(afterInsert.documents).toEqual({ used: 1, quota: 5 });
    expect((await run(project.id, worker.id, { op: 'grow' })).result).toMatch(
      /^QuotaExceededError: .*4000 bytes of documents/,
    );
    const doc = await expectStatus(
      send(server, 'GET', `/api/v1/projects/${project.id}/collections/blobs/documents/c`, { token: root }),
      200,
    );
    expect(JSON.stringify(doc.json)).toContain('"v":"x"');
    const after = await usage(project.id);
    expect(after.documents.used).toBe(2);
    expect(after.documentBytes.used).toBeLessThanOrEqual(4000);
  });

  it('invocation logs past the log quota are not kept; the record says so', async () => {
    const project = await createProject(server, root, 'chatty');
    const worker = await createWorker(
      server,
      root,
      project.id,
      { name: 'Talk', slug: 'talk' },
      `export default { run() { for (let i = 0; i < 10; i++) console.log('y'.repeat(200)); return 1; } };`,
    );
    const first = await run(project.id, worker.id);
    expect(first.logs).toHaveLength(10);
    const second = await run(project.id, worker.id);
    expect(second.logs).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: expect.stringMatching(/10 log lines not kept \(quota_exceeded\).*quota of 3000 bytes/),
      }),
    ]);
    const list = await expectStatus(
      send(server, 'GET', `/api/v1/projects/${project.id}/workers/${worker.id}/invocations`, { token: root }),
      200,
    );
    const items = list.json.items as Array<{ id: string; logs: unknown[] }>;
    expect(items.find((r) => r.id === second.invocationId)?.logs).toHaveLength(1);
    const u = await usage(project.id);
    expect(u.logBytes.quota).toBe(3000);
    expect(u.logBytes.used).toBeGreaterThan(2000);
    expect(u.logBytes.used).toBeLessThan(3000);
  });
});
