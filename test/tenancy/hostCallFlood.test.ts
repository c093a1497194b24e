import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, startChildServer } from '../kit/childServer.ts';

/**
 * One worker's fan-out of host calls must not take the server down for every tenant (issue 12, item 1).
 * The server runs as a child process under a 1 GiB heap; a worker starts hundreds of concurrent
 * `models.find` calls over ~25 MB of its own documents, then hundreds of concurrent `http.fetch` calls of
 * 1 MB answers. The server stays up and `/health` answers throughout.
 */

const SOURCE = `
export default {
  async run(input) {
    const c = m3m.models.collection('blobs');
    if (input.op === 'fill') {
      const pad = 'x'.repeat(25000);
      const calls = [];
      for (let i = 0; i < 100; i++) calls.push(c.insert({ pad, n: i }));
      await Promise.all(calls);
      return 'filled';
    }
    const settle = (p) => p.then((v) => 'ok ' + (Array.isArray(v) ? v.length : v.body.length), (e) => e.name + ': ' + e.message);
    const calls = [];
    for (let i = 0; i < input.count; i++) {
      calls.push(settle(input.op === 'find' ? c.find({}, { limit: 1000 }) : m3m.http.fetch(input.url)));
    }
    const outcomes = await Promise.all(calls);
    const counts = {};
    for (const o of outcomes) counts[o] = (counts[o] || 0) + 1;
    return counts;
  }
};`;

describe('a fan-out of host calls against a server with a 1 GiB heap', () => {
  let server: ChildServer;
  let token: string;
  let workerPath: string;
  let receiver: Server;
  let receiverUrl: string;
  const body = Buffer.alloc(1024 * 1024 - 1024, 'y');
  /** The most requests the receiver held at once: the responses the server buffers at the same time. */
  let mostHeld = 0;

  beforeAll(async () => {
    server = await startChildServer({
      nodeArgs: ['--max-old-space-size=1024'],
      env: { M3M_WORKER_WALL_MS: '120000', M3M_WORKER_CPU_MS: '60000', M3M_ALLOW_PRIVATE_FETCH: 'true' },
    });
    token = await server.login();
    const project = (await (
      await server.request('POST', '/api/v1/projects', { token, body: { name: 'noisy', slug: 'noisy' } })
    ).json()) as { id: string };
    const worker = (await (
      await server.request('POST', `/api/v1/projects/${project.id}/workers`, {
        token,
        body: { name: 'Flood', slug: 'flood', limits: { wallMs: 120_000, cpuMs: 60_000 } },
      })
    ).json()) as { id: string };
    workerPath = `/api/v1/projects/${project.id}/workers/${worker.id}`;
    const deployed = await server.request('POST', `${workerPath}/deploy`, {
      token,
      body: { source: SOURCE },
    });
    expect(deployed.status, await deployed.text()).toBe(201);
    // Answers the requests it holds once none arrived for 20 ms: a fan-out's answers all come at once.
    let held: import('node:http').ServerResponse[] = [];
    let quiet: NodeJS.Timeout | undefined;
    receiver = createServer((_req, res) => {
      held.push(res);
      mostHeld = Math.max(mostHeld, held.length);
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        for (const r of held.splice(0)) {
          r.writeHead(200, { 'content-type': 'text/plain' });
          r.end(body);
        }
      }, 20);
    });
    held = [];
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/big`;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    receiver?.close();
  });

  const run = async (input: unknown) => {
    const response = await server.request('POST', `${workerPath}/run`, { token, body: { input } });
    const json = (await response.json()) as { outcome: string; result?: Record<string, number> };
    expect(response.status, JSON.stringify(json)).toBe(200);
    return json;
  };

  /** Runs `attack` while polling /health every 100 ms; every poll must answer 200. */
  async function whileWatchingHealth<T>(attack: () => Promise<T>): Promise<{ value: T; polls: number[] }> {
    const polls: number[] = [];
    let done = false;
    const watch = (async () => {
      while (!done) {
        const status = await fetch(`${server.base}/health`, { signal: AbortSignal.timeout(10_000) }).then(
          (r) => r.status,
          () => 0,
        );
        polls.push(status);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      return { value: await attack(), polls };
    } finally {
      done = true;
      await watch;
    }
  }

  it('300 concurrent finds over 25 MB: each stops at the byte cap, the server stays up', async () => {
    for (let i = 0; i < 10; i++) expect((await run({ op: 'fill' })).outcome).toBe('ok');
    const { value, polls } = await whileWatchingHealth(() => run({ op: 'find', count: 300 }));
    expect(server.exited(), server.output().slice(-3000)).toBeNull();
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.every((s) => s === 200)).toBe(true);
    expect(value.outcome).toBe('ok');
    const outcomes = Object.keys(value.result!);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatch(/^RangeError: m3m\.models\.find: the result would pass 1048576 bytes/);
  }, 240_000);

  it('400 concurrent fetches of 1 MB answers: at most a few in flight, the server stays up', async () => {
    const { value, polls } = await whileWatchingHealth(() =>
      run({ op: 'fetch', count: 400, url: receiverUrl }),
    );
    expect(server.exited(), server.output().slice(-3000)).toBeNull();
    expect(polls.every((s) => s === 200)).toBe(true);
    expect(value).toMatchObject({ outcome: 'ok', result: { [`ok ${body.length}`]: 400 } });
    expect(mostHeld).toBeGreaterThan(1);
    expect(mostHeld).toBeLessThanOrEqual(8);
  }, 240_000);
});
