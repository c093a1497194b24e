// npm run bench:runtime — the worker sandbox on this machine: cold start, warm invocation latency and
// throughput through SandboxHost (server → runtime process → isolate and back), beside the same handler
// called as a plain function in this process. BENCH_INVOCATIONS sets the warm sample size (default 5000).
// Then the cost of running projects in several runtime processes (RuntimePool, docs/adr/0022-runtime-processes.md)
// beside one: memory of each process, start, warm latency and throughput. Then event → worker latency through a
// whole m3m and its runtime subscriber (BENCH_EVENTS_STEADY, BENCH_EVENTS_BURST): a steady flow, then a burst of
// events for one worker at each concurrency in BENCH_BURST_CONCURRENCY (default "1,8"), with the load average.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProject } from '../application/projects/createProject.ts';
import { projectEventsStream } from '../application/runtime/customEvents.ts';
import { runWorker } from '../application/runtime/invokeWorker.ts';
import { RuntimeSubscriber } from '../application/runtime/runtimeSubscriber.ts';
import { createWorker, deployWorker, updateWorker } from '../application/workers/commands.ts';
import { openM3m } from '../infrastructure/composition.ts';
import { loadConfig } from '../infrastructure/config.ts';
import { createLogger } from '../infrastructure/logging.ts';
import { RuntimePool } from '../infrastructure/sandbox/runtimePool.ts';
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
const report = (what: string, value: string) => console.log(`${what.padEnd(60)} ${value}`);
function latencies(label: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  report(label, `p50 ${fmt(percentile(sorted, 0.5))}   p99 ${fmt(percentile(sorted, 0.99))}`);
}

function expectOk(result: InvocationResult): void {
  if (result.outcome !== 'ok') throw new Error(`bench invocation failed: ${JSON.stringify(result.error)}`);
}

async function timed(
  host: SandboxHost | RuntimePool,
  request: InvocationRequest,
): Promise<[number, InvocationResult]> {
  const t = performance.now();
  const result = await host.invoke(request);
  const ms = performance.now() - t;
  expectOk(result);
  return [ms, result];
}

// BENCH_EVENTS_ONLY=1 skips to the event → worker figures (e.g. to compare BENCH_RUNTIME_PROCESSES=1 and 2).
if (!process.env.BENCH_EVENTS_ONLY) {
  await sandboxFigures();
  await runtimeProcesses();
}
await eventToWorker();

async function sandboxFigures(): Promise<void> {
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
  } finally {
    await host.close();
  }
}

/** Resident memory of a process, from /proc (Linux), in MiB. */
async function rssMb(pid: number | null): Promise<number> {
  if (pid === null) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/**
 * The cost of the isolation of issue 12, item 4: the same warm work through one runtime process (as before) and
 * through a RuntimePool of two shared processes with 8 projects spread over them; each process's memory, idle and
 * with 8 warm isolates; the time to start them.
 */
async function runtimeProcesses(): Promise<void> {
  console.log('\nruntime processes: one (as before ADR 0022) beside a pool of two shared processes');
  const N = Math.min(WARM, 4000);
  const projects = Array.from({ length: CONCURRENT_WORKERS }, (_, i) => ({
    projectId: `project-${i}`,
    worker: { id: `proc-${i}`, version: 1, source },
  }));
  const measure = async (
    label: string,
    sandbox: SandboxHost | RuntimePool,
    pids: () => (number | null)[],
  ) => {
    let t = performance.now();
    await sandbox.start();
    report(`${label}: start (fork → ready)`, fmt(performance.now() - t));
    const idle = await Promise.all(pids().map(rssMb));
    await Promise.all(projects.map((p) => timed(sandbox, { ...p, handler: 'run', input })));
    const warmRss = await Promise.all(pids().map(rssMb));
    report(
      `${label}: RSS per process, idle → 8 warm isolates`,
      idle.map((mb, i) => `${mb.toFixed(0)} → ${warmRss[i]!.toFixed(0)} MiB`).join(', '),
    );
    const sequential: number[] = [];
    for (let i = 0; i < N; i++)
      sequential.push(
        (await timed(sandbox, { ...projects[i % projects.length]!, handler: 'run', input }))[0],
      );
    latencies(`${label}: warm invocation, sequential (${N})`, sequential);
    const concurrent: number[] = [];
    t = performance.now();
    await Promise.all(
      projects.map(async (p) => {
        for (let i = 0; i < Math.ceil(N / projects.length); i++)
          concurrent.push((await timed(sandbox, { ...p, handler: 'run', input }))[0]);
      }),
    );
    const rate = concurrent.length / ((performance.now() - t) / 1000);
    latencies(`${label}: warm, ${projects.length} projects concurrently`, concurrent);
    report(
      `${label}: warm invocations/s, ${projects.length} projects concurrently`,
      `${Math.round(rate)} /s`,
    );
  };
  const one = new SandboxHost();
  try {
    await measure('1 process', one, () => [one.status().pid]);
  } finally {
    await one.close();
  }
  const pool = new RuntimePool({ processes: 2 });
  try {
    await measure('pool of 2', pool, () => pool.status().processes.map((p) => p.pid));
  } finally {
    await pool.close();
  }
}

/**
 * Event → worker: a whole m3m (SQLite stores in a temp folder, projections, the runtime subscriber, its own
 * sandbox runtime process) with one deployed worker listening to a custom event type. Events are appended
 * straight to the event store; the latency is from the append's completion to the moment the worker's invocation
 * started, as its record says (the subscriber has matched the event against the read model and recorded the
 * delivery; for an in-order delivery handed in ahead of its turn, when the runtime process began it, ADR 32).
 * First at a steady 200 events/s, then as a burst appended 100 events per append.
 */
async function eventToWorker(): Promise<void> {
  console.log(
    `\nevent → worker through a whole m3m (${process.env.BENCH_RUNTIME_PROCESSES ?? 'default'} runtime processes)`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'm3m-bench-runtime-'));
  const config = loadConfig({
    M3M_DATA_DIR: dir,
    M3M_LOG_LEVEL: 'silent',
    // BENCH_RUNTIME_PROCESSES=1 measures the event path with one runtime process, as before ADR 0022.
    ...(process.env.BENCH_RUNTIME_PROCESSES
      ? { M3M_RUNTIME_PROCESSES: process.env.BENCH_RUNTIME_PROCESSES }
      : {}),
  });
  const m3m = await openM3m(config, createLogger(config));
  // Read-store transactions (each takes SQLite's writer lock): counted per delivery below.
  let transactions = 0;
  const transaction = m3m.readStore.transaction.bind(m3m.readStore);
  m3m.readStore.transaction = (work) => {
    transactions++;
    return transaction(work);
  };
  /** CPU time (user + system) of the runtime processes so far, in ms, from /proc (Linux). */
  const runtimeCpuMs = async () => {
    let ticks = 0;
    for (const { pid } of m3m.sandbox.status().processes) {
      if (pid === null) continue;
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    }
    return (ticks * 1000) / 100; // USER_HZ
  };
  const STEADY = Number(process.env.BENCH_EVENTS_STEADY ?? 1000);
  const BURST = Number(process.env.BENCH_EVENTS_BURST ?? 5000);
  const BURST_CONCURRENCY = (process.env.BENCH_BURST_CONCURRENCY ?? '1,8').split(',').map(Number);
  const appendedAt = new Map<string, number>();
  const startedAt = new Map<string, number>();
  let onStarted: (() => void) | null = null;
  let wanted = 0;
  const subscriber = new RuntimeSubscriber({
    eventStore: m3m.eventStore,
    readStore: m3m.readStore,
    clock: m3m.clock,
    readModelsAt: (position) => m3m.runner.waitFor(position, 60_000),
    // As `m3m serve` wires it (infrastructure/workerRuntime.ts): the lane moves on once the sandbox has answered,
    // and an in-order worker's next delivery is handed in ahead of its turn (BENCH_IN_ORDER_AHEAD=0: not).
    invoke: async (request) => {
      const { invocation } = await runWorker(m3m.workers, request, { linger: true });
      // When the invocation started, as its record says: in the runtime process for one handed in ahead of its
      // turn (which waits there for the previous one), else when the server began to run it (ms resolution).
      startedAt.set(request.trigger.eventId!, Date.parse(invocation.startedAt) - performance.timeOrigin);
      if (startedAt.size >= wanted) onStarted?.();
      return invocation;
    },
    inOrderAhead: Number(process.env.BENCH_IN_ORDER_AHEAD ?? 1),
  });
  try {
    await m3m.runner.start();
    const system = { kind: 'system' } as const;
    const project = await createProject(m3m.projects, system, { name: 'Bench', slug: 'bench' });
    await m3m.runner.waitFor(project.position);
    const created = await createWorker(m3m.workers, system, project.projectId, {
      name: 'listener',
      slug: 'listener',
      triggers: { events: ['BenchPing'] },
    });
    await m3m.runner.waitFor(created.position);
    const deployed = await deployWorker(
      m3m.workers,
      system,
      project.projectId,
      created.workerId,
      'export default { async onEvent(event) { return event.data.payload.i; } };',
    );
    await m3m.runner.waitFor(deployed.position!);
    await subscriber.start();

    let next = 0;
    const pingOf = (id: string) => ({
      id,
      type: 'BenchPing',
      data: { projectId: project.projectId, payload: { i: next++ }, depth: 1 },
      metadata: {
        actorId: null,
        correlationId: id,
        causationId: null,
        source: 'system' as const,
        schemaVersion: 1,
        timestamp: new Date().toISOString(),
      },
    });
    /** Appends `count` events in one append; each is timed from the moment it is stored. */
    const append = async (count = 1) => {
      const ids = Array.from({ length: count }, () => randomUUID());
      await m3m.eventStore.append(projectEventsStream(project.projectId), ids.map(pingOf), {
        expectedRevision: 'any',
      });
      const at = performance.now();
      for (const id of ids) appendedAt.set(id, at);
    };
    const allStarted = (count: number) =>
      new Promise<void>((resolve) => {
        wanted = count;
        onStarted = resolve;
        if (startedAt.size >= count) resolve();
      });
    const measure = (label: string, ids: string[]) => {
      latencies(
        label,
        ids.map((id) => startedAt.get(id)! - appendedAt.get(id)!),
      );
    };

    // Warm-up: the worker's isolate, the SQLite caches.
    for (let i = 0; i < 50; i++) await append();
    await allStarted(50);
    await subscriber.waitFor(await m3m.eventStore.headPosition(), 60_000);

    const steadyFrom = appendedAt.size;
    for (let i = 0; i < STEADY; i++) {
      await append();
      await sleep(5);
    }
    await allStarted(appendedAt.size);
    measure(`event → worker, steady 200 events/s (${STEADY})`, [...appendedAt.keys()].slice(steadyFrom));
    await subscriber.waitFor(await m3m.eventStore.headPosition(), 120_000);

    for (const concurrency of BURST_CONCURRENCY) {
      const updated = await updateWorker(m3m.workers, system, project.projectId, created.workerId, {
        limits: { concurrency },
      });
      await m3m.runner.waitFor(updated.position!);
      // The burst is appended 100 events per append (≈ a second of a busy installation's increments arrive
      // in a few group commits), so what is measured is the delivery path, not the appends.
      const burstFrom = appendedAt.size;
      const load = loadavg()[0]!;
      const transactionsBefore = transactions;
      const cpuBefore = process.cpuUsage();
      const runtimeBefore = await runtimeCpuMs();
      const t = performance.now();
      while (appendedAt.size < burstFrom + BURST)
        await append(Math.min(100, burstFrom + BURST - appendedAt.size));
      const appended = performance.now() - t;
      await allStarted(appendedAt.size);
      const ids = [...appendedAt.keys()].slice(burstFrom);
      const starts = ids.map((id) => startedAt.get(id)!).sort((x, y) => x - y);
      const label = `burst of ${ids.length} to one worker, concurrency ${concurrency}`;
      console.log(`\n${label} (load average ${load.toFixed(1)} → ${loadavg()[0]!.toFixed(1)})`);
      report('  appended in', fmt(appended));
      report(
        '  deliveries started/s (first to last start)',
        `${Math.round(ids.length / ((starts.at(-1)! - starts[0]!) / 1000))} /s`,
      );
      measure('  wait, append → invocation start', ids);
      await subscriber.waitFor(await m3m.eventStore.headPosition(), 300_000);
      const total = performance.now() - t;
      report('  total (first append → every delivery settled)', fmt(total));
      report(
        '  deliveries settled/s (first append → all settled)',
        `${Math.round(ids.length / (total / 1000))} /s`,
      );
      const cpu = process.cpuUsage(cpuBefore);
      report(
        '  CPU per delivery: server (appends included) / runtime processes',
        `${fmt((cpu.user + cpu.system) / 1000 / ids.length)} / ${fmt(((await runtimeCpuMs()) - runtimeBefore) / ids.length)}`,
      );
      report(
        '  read-store transactions per delivery',
        ((transactions - transactionsBefore) / ids.length).toFixed(2),
      );
    }
    const status = subscriber.status();
    if (status.delivered.failed > 0 || status.delivered.retried > 0) {
      throw new Error(`bench deliveries failed: ${JSON.stringify(status.delivered)}`);
    }
    report('deliveries succeeded (failed, retried)', `${status.delivered.succeeded} (0, 0)`);
  } finally {
    await subscriber.stop();
    await m3m.close();
    await rm(dir, { recursive: true, force: true });
  }
}
