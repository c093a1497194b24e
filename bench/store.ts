// npm run bench:store — throughput of the SQLite event store and of a projection rebuild on this machine.
// BENCH_EVENTS overrides the size of the readAll / rebuild data set (default 1,000,000).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSchemaRegistry } from '../application/commands/eventSchemas.ts';
import type { NewEvent } from '../application/ports/eventStore.ts';
import { openSqliteEventStore } from '../infrastructure/eventStore/sqliteEventStore.ts';
import { openSqliteReadStore } from '../infrastructure/readStore/sqliteReadStore.ts';
import { eventTypeStats } from '../projections/eventTypeStats.ts';
import { ProjectionRunner } from '../projections/projectionRunner.ts';

const TOTAL = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const SINGLE = 20_000;
const BATCH = 100;
const TYPES = ['GoalIncremented', 'ProjectRenamed', 'UserLoggedIn', 'WorkerDeployed'];

const event = (i: number): NewEvent => ({
  type: TYPES[i % TYPES.length]!,
  data: { n: i, goal: `goal-${i % 50}`, by: 1 },
  metadata: {
    actorId: 'bench',
    correlationId: randomUUID(),
    causationId: null,
    source: 'system',
    schemaVersion: 1,
    timestamp: new Date().toISOString(),
  },
});

const rate = (count: number, ms: number) => Math.round(count / (ms / 1000));
const report = (what: string, value: string) => {
  console.log(`${what.padEnd(44)} ${value}`);
};

const dir = await mkdtemp(join(tmpdir(), 'm3m-bench-'));
const eventStore = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
const readStore = openSqliteReadStore({ path: join(dir, 'read.sqlite') });
try {
  console.log(`m3m bench:store — SQLite event store, Node ${process.version}, data in ${dir}\n`);

  let t = performance.now();
  for (let i = 0; i < SINGLE; i++) {
    await eventStore.append(`bench-single-${i % 100}`, [event(i)], { expectedRevision: 'any' });
  }
  report(`single-event appends (${SINGLE})`, `${rate(SINGLE, performance.now() - t)} appends/s`);

  const remaining = TOTAL - SINGLE;
  t = performance.now();
  let written = 0;
  for (let b = 0; written < remaining; b++) {
    const size = Math.min(BATCH, remaining - written);
    const batch = Array.from({ length: size }, (_, k) => event(written + k));
    await eventStore.append(`bench-batch-${b % 1000}`, batch, { expectedRevision: 'any' });
    written += size;
  }
  report(
    `batched appends (${BATCH}/batch, ${remaining})`,
    `${rate(remaining, performance.now() - t)} events/s`,
  );

  t = performance.now();
  let read = 0;
  for (let position = 0; ; ) {
    const page = await eventStore.readAll({ fromPosition: position, limit: 1000 });
    if (page.length === 0) break;
    read += page.length;
    position = page.at(-1)!.position;
  }
  report(`readAll, pages of 1000 (${read} events)`, `${rate(read, performance.now() - t)} events/s`);

  const runner = new ProjectionRunner({
    eventStore,
    readStore,
    schemas: new EventSchemaRegistry(),
    projections: [eventTypeStats],
  });
  t = performance.now();
  const [summary] = await runner.replay(['event_type_stats']);
  report(
    `projection rebuild, event_type_stats (${summary!.events})`,
    `${rate(summary!.events, performance.now() - t)} events/s`,
  );
} finally {
  await eventStore.close();
  await readStore.close();
  await rm(dir, { recursive: true, force: true });
}
