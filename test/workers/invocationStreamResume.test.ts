import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { runBody } from '../kit/sandbox.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/** The invocation stream resumed after a dropped connection with `Last-Event-ID`: no record lost, none twice. */
describe('invocation stream: Last-Event-ID resume', () => {
  let server: TestServer;
  let token: string;
  let projectId: string;
  let workerId: string;
  let otherWorkerId: string;
  const path = (id: string) => `/api/v1/projects/${projectId}/workers/${id}/invocations/stream`;

  beforeAll(async () => {
    server = await startTestServer();
    token = await server.signInAsRoot();
    projectId = (await createProject(server, token, 'resume')).id;
    workerId = (
      await createWorker(server, token, projectId, { name: 'Echo', slug: 'echo' }, runBody('return input;'))
    ).id;
    otherWorkerId = (
      await createWorker(server, token, projectId, { name: 'Other', slug: 'other' }, runBody('return input;'))
    ).id;
  });
  afterAll(() => server.close());

  const run = async (id: string, input: unknown) =>
    (
      await expectStatus(
        send(server, 'POST', `/api/v1/projects/${projectId}/workers/${id}/run`, { token, body: { input } }),
        200,
      )
    ).json.invocationId as unknown as string;

  /** Opens the stream; `ids()` are the invocation ids received so far, in order. */
  async function open(lastEventId?: string) {
    const controller = new AbortController();
    const response = await fetch(`${server.base}${path(workerId)}`, {
      headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const ids = () => [...received.matchAll(/event: invocation\nid: (\S+)\n/g)].map((m) => m[1]!);
    return {
      ids,
      async until(done: () => boolean) {
        while (!done()) {
          const { value, done: ended } = await reader.read();
          if (ended) throw new Error(`stream ended: ${received}`);
          received += decoder.decode(value, { stream: true });
        }
      },
      close: () => controller.abort(),
    };
  }

  it('sends the records missed since the last id, in order, then continues live', async () => {
    const first = await open();
    await first.until(() => true);
    const a = await run(workerId, 'a');
    await first.until(() => first.ids().includes(a));
    first.close();
    // While nobody listens: two runs of this worker, one of another worker.
    const b = await run(workerId, 'b');
    await run(otherWorkerId, 'x');
    const c = await run(workerId, 'c');

    const resumed = await open(a);
    await resumed.until(() => resumed.ids().length >= 2);
    expect(resumed.ids()).toEqual([b, c]);
    const d = await run(workerId, 'd');
    await resumed.until(() => resumed.ids().includes(d));
    expect(resumed.ids()).toEqual([b, c, d]);
    resumed.close();
  });

  it('never loses nor repeats a record published while the missed ones are read', async () => {
    const last = await run(workerId, 'before');
    const missed = [await run(workerId, 'm1'), await run(workerId, 'm2')];
    const concurrent = Promise.all([1, 2, 3, 4, 5].map((n) => run(workerId, n)));
    const resumed = await open(last);
    const during = await concurrent;
    const expected = [...missed, ...during];
    await resumed.until(() => expected.every((id) => resumed.ids().includes(id)));
    const after = await run(workerId, 'after');
    await resumed.until(() => resumed.ids().includes(after));
    const ids = resumed.ids();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...expected, after].sort());
    resumed.close();
  });

  it('resumes live only after an unknown id or another worker’s record', async () => {
    const foreign = await run(otherWorkerId, 'y');
    for (const lastEventId of ['no-such-invocation', foreign]) {
      const stream = await open(lastEventId);
      const live = await run(workerId, lastEventId);
      await stream.until(() => stream.ids().includes(live));
      expect(stream.ids()).toEqual([live]);
      stream.close();
    }
  });
});
