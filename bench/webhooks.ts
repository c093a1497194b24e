// npm run bench:webhooks — webhook deliveries to a local receiver that answers at once: deliveries per second
// for a burst of BENCH_MESSAGES (default 2000) events, and event → receiver latency p50/p99 at a steady
// BENCH_RATE events per second (default 50) for BENCH_DURATION seconds (default 10). The baseline is the
// same bodies POSTed by a plain loop of `fetch` calls (as many at once as m3m sends to one endpoint, 4), in the
// same run, so the ratio says what the outbox, the claims, the signing and the delivery log cost.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { enableModule } from '../application/modules/projectModules.ts';
import { createProject } from '../application/projects/createProject.ts';
import { projectEventsStream } from '../application/runtime/customEvents.ts';
import { createWebhook } from '../application/webhooks/endpoints.ts';
import { openM3m } from '../infrastructure/composition.ts';
import { loadConfig } from '../infrastructure/config.ts';
import { createLogger } from '../infrastructure/logging.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const BASELINE_CONCURRENCY = 4;

// ------------------------------------------------------------------------------------------------ receiver
const arrivals = new Map<string, number>();
let waiting: { count: number; done: () => void } | null = null;
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const seq = (JSON.parse(body) as { data: { payload: { seq: string } } }).data.payload.seq;
    if (!arrivals.has(seq)) arrivals.set(seq, performance.now());
    res.statusCode = 204;
    res.end();
    if (waiting && arrivals.size >= waiting.count) waiting.done();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
const allArrived = (count: number) =>
  new Promise<void>((resolve) => {
    if (arrivals.size >= count) return resolve();
    waiting = { count, done: resolve };
  });

// ----------------------------------------------------------------------------------------------------- m3m
const dir = await mkdtemp(join(tmpdir(), 'm3m-bench-webhooks-'));
const config = loadConfig({
  M3M_DATA_DIR: dir,
  M3M_PORT: '0',
  M3M_LOG_LEVEL: 'silent',
  M3M_ALLOW_PRIVATE_FETCH: 'true',
  M3M_WEBHOOKS_ALLOW_HTTP: 'true',
});
const m3m = await openM3m(config, createLogger(config));
await m3m.runner.start();
await m3m.webhooks.start();
const system = { kind: 'system' } as const;
const project = await createProject(m3m.projects, system, { name: 'Bench', slug: 'bench' });
await m3m.runner.waitFor(project.position);
const deps = m3m.webhooks.deps;
const enabled = await enableModule(deps, system, project.projectId, { moduleCode: 'webhooks' });
if (enabled.position !== null) await m3m.runner.waitFor(enabled.position);
const hook = await createWebhook(deps, system, project.projectId, { url, rateLimit: 1000 });
await m3m.runner.waitFor(hook.position!);

/** A custom event as a worker's `m3m.events.emit('BenchEvent', { seq })` appends it. */
async function emit(seq: string): Promise<void> {
  await m3m.eventStore.append(
    projectEventsStream(project.projectId),
    [
      {
        id: randomUUID(),
        type: 'BenchEvent',
        data: { projectId: project.projectId, payload: { seq }, depth: 1 },
        metadata: {
          actorId: null,
          correlationId: randomUUID(),
          causationId: null,
          source: 'system',
          schemaVersion: 1,
          timestamp: new Date().toISOString(),
        },
      },
    ],
    { expectedRevision: 'any' },
  );
}

const body = (seq: string) =>
  JSON.stringify({
    type: 'custom.BenchEvent',
    timestamp: new Date().toISOString(),
    data: { projectId: project.projectId, payload: { seq } },
  });

async function baselineSend(seq: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body(seq),
  });
  await response.arrayBuffer();
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

// ------------------------------------------------------------------------------------------------ throughput
arrivals.clear();
let started = performance.now();
for (let i = 0; i < MESSAGES; i++) await emit(`t${i}`);
await allArrived(MESSAGES);
const m3mRate = MESSAGES / ((performance.now() - started) / 1000);

arrivals.clear();
started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: BASELINE_CONCURRENCY }, async () => {
    while (next < MESSAGES) await baselineSend(`b${next++}`);
  }),
);
await allArrived(MESSAGES);
const baselineRate = MESSAGES / ((performance.now() - started) / 1000);

// --------------------------------------------------------------------------------------------------- latency
async function steady(send: (seq: string) => Promise<void>, prefix: string): Promise<number[]> {
  arrivals.clear();
  const sentAt = new Map<string, number>();
  const total = RATE * DURATION;
  const begin = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = begin + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const seq = `${prefix}${i}`;
    sentAt.set(seq, performance.now());
    pending.push(send(seq));
  }
  await Promise.all(pending);
  await allArrived(total);
  return [...sentAt].map(([seq, at]) => arrivals.get(seq)! - at);
}
const m3mLatency = await steady(emit, 'l');
const baselineLatency = await steady(baselineSend, 'p');

const row = (name: string, rate: number, latency: number[]) =>
  `${name.padEnd(26)} ${rate.toFixed(0).padStart(8)}/s ${percentile(latency, 50).toFixed(1).padStart(9)} ms ${percentile(latency, 99).toFixed(1).padStart(9)} ms`;
console.log(`webhooks: ${MESSAGES} messages burst; ${RATE}/s for ${DURATION} s; ${cpus().length} CPUs`);
console.log(`${''.padEnd(26)} ${'deliveries'.padStart(10)} ${'p50'.padStart(12)} ${'p99'.padStart(12)}`);
console.log(row('m3m (event → receiver)', m3mRate, m3mLatency));
console.log(row('baseline (plain fetch)', baselineRate, baselineLatency));
console.log(`\nthroughput ratio m3m / baseline: ${(m3mRate / baselineRate).toFixed(2)}`);
console.log(
  `p50 latency ratio m3m / baseline: ${(percentile(m3mLatency, 50) / percentile(baselineLatency, 50)).toFixed(1)}`,
);

await m3m.close();
receiver.close();
await rm(dir, { recursive: true, force: true });
process.exit(0);
