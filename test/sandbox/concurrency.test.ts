// A worker's `concurrency` in the runtime process (docs/adr/0032-bursts-to-one-worker-second-pass.md): through
// SandboxHost with a real runtime process and real isolated-vm isolates. The worker holds its isolate ~40 ms per
// invocation (an awaited timer, which the runtime process serves: the invocation, and so its isolate, is busy until
// the handler's promise settles); the results say when the runtime process began each and how long it took.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHost } from '../../infrastructure/sandbox/sandboxHost.ts';
import type { InvocationResult } from '../../infrastructure/sandbox/types.ts';
import { testHost, workerId } from '../kit/sandbox.ts';

/** Counts its invocations in a global: each isolate has its own. */
const sleeper = `let runs = 0;
export default {
  async run(n) {
    runs++;
    await new Promise((resolve) => setTimeout(resolve, 40));
    return { n, runs };
  },
};
`;

interface Burst {
  results: InvocationResult[];
  elapsedMs: number;
}

/** `count` invocations of one worker version handed in at once. */
async function burst(
  host: SandboxHost,
  id: string,
  count: number,
  options: { concurrency?: number; projectId?: string; version?: number } = {},
): Promise<Burst> {
  const began = performance.now();
  const results = await Promise.all(
    Array.from({ length: count }, (_, n) =>
      host.invoke({
        worker: { id, version: options.version ?? 1, source: sleeper },
        handler: 'run',
        input: n,
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
        ...(options.projectId === undefined ? {} : { projectId: options.projectId }),
      }),
    ),
  );
  for (const r of results) expect(r.outcome, JSON.stringify(r.error)).toBe('ok');
  return { results, elapsedMs: performance.now() - began };
}

/**
 * The most invocations the runtime process ran at the same moment, from when it began each (`startedAt`, whole
 * milliseconds, cut) and how long it took: a run is taken to end a millisecond early.
 */
function mostAtOnce(results: InvocationResult[]): number {
  const edges = results.flatMap((r) => [
    [r.startedAt!, 1] as const,
    [r.startedAt! + r.durationMs - 1, -1] as const,
  ]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of edges) {
    now += step;
    most = Math.max(most, now);
  }
  return most;
}

let host: SandboxHost;
beforeAll(async () => {
  host = testHost();
  await host.start();
});
afterAll(async () => {
  await host.close();
});

describe('a worker with concurrency N runs up to N invocations at once, each in its own isolate', () => {
  it('eight 40 ms invocations of a concurrency-8 worker take well under 8 × 40 ms, in eight isolates', async () => {
    const id = workerId('wide');
    const cold = await burst(host, id, 8, { concurrency: 8 });
    // Eight isolates, each with its own globals: every one counted its first run.
    expect(cold.results.map((r) => r.result)).toEqual(Array.from({ length: 8 }, (_, n) => ({ n, runs: 1 })));
    expect(cold.results.every((r) => r.coldStart)).toBe(true);
    const mine = (await host.isolates()).filter((i) => i.workerId === id);
    expect(mine).toHaveLength(8);
    expect(mine.every((i) => i.memoryMb === 128 && i.invocations === 1 && !i.busy)).toBe(true);

    const warm = await burst(host, id, 8, { concurrency: 8 });
    expect(warm.results.every((r) => !r.coldStart)).toBe(true);
    expect(warm.results.map((r) => (r.result as { runs: number }).runs)).toEqual(Array(8).fill(2));
    expect(mostAtOnce(warm.results)).toBeGreaterThanOrEqual(4);
    expect(mostAtOnce(warm.results)).toBeLessThanOrEqual(8);
    expect(warm.elapsedMs).toBeLessThan(200); // one at a time: at least 320 ms
  });

  it('at concurrency 1 (the default) they run one at a time in the order they came, on one isolate', async () => {
    const id = workerId('narrow');
    const { results, elapsedMs } = await burst(host, id, 8);
    expect(results.map((r) => r.result)).toEqual(Array.from({ length: 8 }, (_, n) => ({ n, runs: n + 1 })));
    expect(mostAtOnce(results)).toBe(1);
    for (let n = 1; n < 8; n++)
      expect(results[n]!.startedAt!).toBeGreaterThanOrEqual(results[n - 1]!.startedAt!);
    expect(elapsedMs).toBeGreaterThanOrEqual(8 * 40);
    expect((await host.isolates()).filter((i) => i.workerId === id)).toHaveLength(1);
  });

  it('never more than N at once; a deploy drops every isolate of the worker; lowering N trims its warm isolates', async () => {
    const id = workerId('three');
    const { results } = await burst(host, id, 9, { concurrency: 3 });
    expect(mostAtOnce(results)).toBeGreaterThanOrEqual(2);
    expect(mostAtOnce(results)).toBeLessThanOrEqual(3);
    expect((await host.isolates()).filter((i) => i.workerId === id)).toHaveLength(3);

    expect(await host.dispose(id, 1)).toBe(3);
    expect((await host.isolates()).filter((i) => i.workerId === id)).toHaveLength(0);

    await burst(host, id, 6, { concurrency: 3, version: 2 });
    expect((await host.isolates()).filter((i) => i.workerId === id)).toHaveLength(3);
    const after = await burst(host, id, 2, { concurrency: 1, version: 2 });
    expect(after.results.map((r) => r.coldStart)).toEqual([false, false]);
    const left = (await host.isolates()).filter((i) => i.workerId === id);
    expect(left).toHaveLength(1);
  });
});

describe('the caps hold for parallel isolates', () => {
  it('a project capped at K isolates never holds more than K, and leaves another project its isolate', async () => {
    const capped = testHost({ maxIsolatesPerProject: 3 });
    try {
      const other = workerId('other');
      await burst(capped, other, 1, { projectId: 'p-other' });
      const id = workerId('crowded');
      let most = 0;
      let watching = true;
      const watch = (async () => {
        while (watching) {
          const held = (await capped.isolates()).filter((i) => i.projectId === 'p-crowd').length;
          most = Math.max(most, held);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const { results } = await burst(capped, id, 12, { concurrency: 8, projectId: 'p-crowd' });
      watching = false;
      await watch;
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(3);
      expect(mostAtOnce(results)).toBeGreaterThanOrEqual(2);
      expect(mostAtOnce(results)).toBeLessThanOrEqual(3);
      const isolates = await capped.isolates();
      expect(isolates.filter((i) => i.projectId === 'p-crowd')).toHaveLength(3);
      expect(isolates.filter((i) => i.projectId === 'p-other').map((i) => i.workerId)).toEqual([other]);
    } finally {
      await capped.close();
    }
  });

  it('the pool makes a parallel isolate only while it has room for one (maxIsolates)', async () => {
    const small = testHost({ maxIsolates: 2 });
    try {
      const id = workerId('squeezed');
      const { results } = await burst(small, id, 6, { concurrency: 8 });
      expect(mostAtOnce(results)).toBeLessThanOrEqual(2);
      expect(mostAtOnce(results)).toBe(2);
      expect((await small.isolates()).filter((i) => i.workerId === id)).toHaveLength(2);
    } finally {
      await small.close();
    }
  });

  it('refuses a concurrency that is not a positive integer', async () => {
    for (const concurrency of [0, 1.5, -1]) {
      await expect(
        host.invoke({ worker: { id: 'x', version: 1, source: sleeper }, handler: 'run', concurrency }),
      ).rejects.toThrow(/concurrency must be a positive integer/);
    }
  });
});
