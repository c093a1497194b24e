// npm run bench:runtime — the worker sandbox on this machine: cold start, warm invocation latency and
// throughput through SandboxHost (server → runtime process → isolate and back), beside the same handler
// called as a plain function in this process. BENCH_INVOCATIONS sets the warm sample size (default 5000).
import { cpus } from 'node:os';
import { SandboxHost } from '../infrastructure/sandbox/sandboxHost.ts';
import type { InvocationRequest, InvocationResult } from '../infrastructure/sandbox/types.ts';

const WARM = Number(process.env.BENCH_INVOCATIONS ?? 5000);
const COLD = 100;
const CONCURRENT_WORKERS = 8;

const source = `export default {
  async run(input) {
    let sum = 0;
    for (const n of input.values) sum += n;
    return { sum, count: input.values.length };
  },
};`;
const withHostCall = `export default {
  async run(input) {
    const total = await m3m.goals.increment(input.goal, 1);
    return { total };
  },
};`;
const input = { values: Array.from({ length: 20 }, (_, i) => i) };

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const fmt = (ms: number) =>
  ms < 0.01
    ? `${(ms * 1000).toFixed(1)} µs`
    : ms < 1
      ? `${(ms * 1000).toFixed(0)} µs`
      : `${ms.toFixed(2)} ms`;
const report = (what: string, value: string) => console.log(`${what.padEnd(52)} ${value}`);
function latencies(label: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  report(label, `p50 ${fmt(percentile(sorted, 0.5))}   p99 ${fmt(percentile(sorted, 0.99))}`);
}

function expectOk(result: InvocationResult): void {
  if (result.outcome !== 'ok') throw new Error(`bench invocation failed: ${JSON.stringify(result.error)}`);
}

async function timed(host: SandboxHost, request: InvocationRequest): Promise<[number, InvocationResult]> {
  const t = performance.now();
  const result = await host.invoke(request);
  const ms = performance.now() - t;
  expectOk(result);
  return [ms, result];
}

const host = new SandboxHost();
try {
  console.log(
    `m3m bench:runtime — Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), isolated-vm sandbox\n`,
  );
  let t = performance.now();
  await host.start();
  report('runtime process start (fork → ready)', fmt(performance.now() - t));

  // Cold start: every invocation is a new worker version, so a new isolate, context, bootstrap and module.
  const cold: number[] = [];
  const coldInside: number[] = [];
  for (let i = 0; i < COLD; i++) {
    const [ms, result] = await timed(host, {
      worker: { id: `cold-${i}`, version: 1, source },
      handler: 'run',
      input,
    });
    if (!result.coldStart) throw new Error('expected a cold start');
    cold.push(ms);
    coldInside.push(result.durationMs);
    await host.dispose(`cold-${i}`);
  }
  latencies(`cold start, round trip (${COLD} new isolates)`, cold);
  latencies('cold start, inside the runtime process', coldInside);

  // Warm, sequential: one worker, one invocation at a time.
  const worker = { id: 'warm', version: 1, source };
  for (let i = 0; i < 200; i++) await timed(host, { worker, handler: 'run', input }); // warm-up
  const warm: number[] = [];
  t = performance.now();
  for (let i = 0; i < WARM; i++) warm.push((await timed(host, { worker, handler: 'run', input }))[0]);
  const warmRate = WARM / ((performance.now() - t) / 1000);
  latencies(`warm invocation, sequential (${WARM})`, warm);
  report('warm invocations/s, sequential', `${Math.round(warmRate)} /s`);

  // Warm with one host API call (guest → runtime process → server → back).
  let total = 0;
  const hostApi = { 'goals.increment': (args: unknown[]) => (total += args[1] as number) };
  const api = { id: 'api', version: 1, source: withHostCall };
  for (let i = 0; i < 200; i++)
    await timed(host, { worker: api, handler: 'run', input: { goal: 'g' }, hostApi });
  const withApi: number[] = [];
  for (let i = 0; i < Math.min(WARM, 3000); i++) {
    withApi.push((await timed(host, { worker: api, handler: 'run', input: { goal: 'g' }, hostApi }))[0]);
  }
  latencies('warm invocation with one m3m host call', withApi);

  // Concurrent: N workers, each invoked back to back (N invocations in flight).
  const workers = Array.from({ length: CONCURRENT_WORKERS }, (_, i) => ({
    id: `conc-${i}`,
    version: 1,
    source,
  }));
  await Promise.all(workers.map((w) => timed(host, { worker: w, handler: 'run', input })));
  const concurrent: number[] = [];
  const perWorker = Math.ceil(WARM / CONCURRENT_WORKERS);
  t = performance.now();
  await Promise.all(
    workers.map(async (w) => {
      for (let i = 0; i < perWorker; i++)
        concurrent.push((await timed(host, { worker: w, handler: 'run', input }))[0]);
    }),
  );
  const concurrentRate = concurrent.length / ((performance.now() - t) / 1000);
  latencies(`warm invocation, ${CONCURRENT_WORKERS} workers concurrently`, concurrent);
  report(
    `warm invocations/s, ${CONCURRENT_WORKERS} workers concurrently`,
    `${Math.round(concurrentRate)} /s`,
  );

  // Baseline: the very same module imported into this process, its handler called as a plain function.
  const plain = (await import(`data:text/javascript,${encodeURIComponent(source)}`)) as {
    default: { run(input: unknown): Promise<unknown> };
  };
  for (let i = 0; i < 10_000; i++) await plain.default.run(input);
  const base: number[] = [];
  const BASE = 100_000;
  t = performance.now();
  for (let i = 0; i < BASE; i++) {
    const s = performance.now();
    await plain.default.run(input);
    base.push(performance.now() - s);
  }
  const baseRate = BASE / ((performance.now() - t) / 1000);
  latencies('baseline: same handler as a plain function', base);
  report('baseline calls/s', `${Math.round(baseRate)} /s`);

  console.log('\nTODO: event-to-worker latency (append → runtime subscriber → worker) is not measured yet:');
  console.log('      it comes with the runtime subscriber.');
} finally {
  await host.close();
}
