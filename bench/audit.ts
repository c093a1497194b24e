// npm run bench:audit — the audit log's filter queries (by actor, by type, by project and time range) on a store
// of BENCH_EVENTS events (default 1,000,000): p50/p99 of a page of 100 newest first through the audit read
// model (`auditPage`, what the API and the CLI call: its log table, then the page's events read by position,
// ADR 29), beside the baseline of answering the same filter with a
// full scan of the event store. The stores are built once into BENCH_DIR (default a folder in the system's
// temp directory, kept so that a second run measures at once); BENCH_REBUILD=1 builds them again.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditFilters, auditPage } from '../application/audit/queries.ts';
import { projectIdOf } from '../application/audit/readModel.ts';
import { EventSchemaRegistry } from '../application/commands/eventSchemas.ts';
import type { EventMetadata, NewEvent, RecordedEvent } from '../application/ports/eventStore.ts';
import { openSqliteEventStore } from '../infrastructure/eventStore/sqliteEventStore.ts';
import { openSqliteReadStore } from '../infrastructure/readStore/sqliteReadStore.ts';
import { auditProjection } from '../projections/audit.ts';
import { ProjectionRunner } from '../projections/projectionRunner.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const DIR = process.env.BENCH_DIR ?? join(tmpdir(), `m3m-bench-audit-${EVENTS}`);
const USERS = 200;
const PROJECTS = 1000;
const BATCH = 100;
const START = Date.parse('2025-01-01T00:00:00Z');
const STEP_MS = 30_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const SCAN_RUNS = Number(process.env.BENCH_SCAN_RUNS ?? 5);

/** Event types and how often they occur (weights); the rare one is the one filtered on. */
const TYPES: [string, number][] = [
  ['GoalIncremented', 60],
  ['WorkerInvoked', 15],
  ['EnvVariableSet', 8],
  ['WorkerSaved', 6],
  ['WorkerDeployed', 4],
  ['ModuleEnabled', 3],
  ['MemberGranted', 2],
  ['ProjectRenamed', 1],
  ['ProjectColourChanged', 1],
];
const TYPE_TOTAL = TYPES.reduce((sum, [, w]) => sum + w, 0);

/** A deterministic pseudo-random sequence, so that two builds hold the same store. */
let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
const pickType = () => {
  let r = random() * TYPE_TOTAL;
  for (const [type, weight] of TYPES) {
    r -= weight;
    if (r < 0) return type;
  }
  return TYPES[0]![0];
};
const uuid = (n: number, kind: number) =>
  `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

const users = Array.from({ length: USERS }, (_, i) => ({ id: uuid(i, 1), email: `user${i}@example.com` }));
const projects = Array.from({ length: PROJECTS }, (_, i) => uuid(i, 2));
const pickProject = () => pick(projects);

async function build(): Promise<void> {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const eventStore = openSqliteEventStore({ path: join(DIR, 'events.sqlite') });
  const metadata = (at: number, actorId: string | null): EventMetadata => ({
    actorId,
    correlationId: randomUUID(),
    causationId: null,
    source: actorId ? 'api' : 'cli',
    schemaVersion: 1,
    timestamp: new Date(at).toISOString(),
    ...(actorId ? { requestId: `req-${Math.floor(random() * 1e6).toString(36)}` } : {}),
  });
  let written = 0;
  const started = performance.now();
  for (const user of users) {
    await eventStore.append(
      `user-${user.id}`,
      [
        {
          type: 'UserRegistered',
          data: { userId: user.id, email: user.email, name: user.email.split('@')[0], passwordHash: '$2b$x' },
          metadata: metadata(START + written * STEP_MS, null),
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    written += 1;
  }
  while (written < EVENTS) {
    const projectId = pickProject();
    const size = Math.min(BATCH, EVENTS - written);
    const events: NewEvent[] = [];
    for (let i = 0; i < size; i++) {
      // One event in ten without a user (the CLI): the rest spread over the users.
      const actor = random() < 0.1 ? null : pick(users).id;
      const type = pickType();
      events.push({
        type,
        data: { projectId, n: written + i, value: Math.floor(random() * 1000) },
        metadata: metadata(START + (written + i) * STEP_MS, actor),
      });
    }
    await eventStore.append(`goal-${projectId}`, events, { expectedRevision: 'any' });
    written += size;
    if (written % 100_000 < BATCH) process.stderr.write(`  ${written} events appended\n`);
  }
  console.log(`event store: ${EVENTS} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const readStore = openSqliteReadStore({ path: join(DIR, 'read.sqlite') });
  const runner = new ProjectionRunner({
    eventStore,
    readStore,
    schemas: new EventSchemaRegistry(),
    projections: [auditProjection],
  });
  const projected = performance.now();
  await runner.catchUp();
  console.log(`audit read model: projected in ${((performance.now() - projected) / 1000).toFixed(1)} s`);
  await readStore.close();
  await eventStore.close();
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function time(runs: number, work: () => Promise<unknown> | unknown) {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function main(): Promise<void> {
  if (process.env.BENCH_REBUILD === '1' || !existsSync(join(DIR, 'read.sqlite'))) {
    console.log(`building a store of ${EVENTS} events in ${DIR} (kept for the next run)…`);
    await build();
  } else {
    console.log(`using the store of ${EVENTS} events in ${DIR} (BENCH_REBUILD=1 builds it again)`);
  }
  const readStore = openSqliteReadStore({ path: join(DIR, 'read.sqlite') });
  const events = openSqliteEventStore({ path: join(DIR, 'events.sqlite') });
  const user = users[7]!;
  const reader = { readStore, eventStore: events, schemas: new EventSchemaRegistry() };
  // The project of the event in the middle of the store, over the month that ends with it.
  const [middle] = await events.readAll({ fromPosition: Math.floor(EVENTS / 2), limit: 1 });
  const project = projectIdOf(middle!)!;
  const until = middle!.metadata.timestamp;
  const since = new Date(Date.parse(until) - 30 * 86_400_000).toISOString();
  // The baseline reads every event of the log (rows are compact since ADR 0024: no SQL over their JSON).
  const queries: { name: string; filters: AuditFilters; scan: (event: RecordedEvent) => boolean }[] = [
    {
      name: 'by actor (email)',
      filters: { actor: user.email },
      scan: (e) => e.metadata.actorId === user.id,
    },
    {
      name: 'by type (1 %)',
      filters: { types: ['ProjectRenamed'] },
      scan: (e) => e.type === 'ProjectRenamed',
    },
    {
      name: 'by project + 1 month',
      filters: { projectId: project, since, until },
      scan: (e) =>
        (e.data as { projectId?: string }).projectId === project &&
        e.metadata.timestamp >= since &&
        e.metadata.timestamp <= until,
    },
  ];
  console.log(`\n${RUNS} pages of 100 per query (after 20 to warm up); baseline: ${SCAN_RUNS} full scans\n`);
  console.log(
    `${'query'.padEnd(24)} ${'matches'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}   ${'scan p50'.padStart(9)} ${'scan p99'.padStart(9)} ${'p50 ratio'.padStart(10)}`,
  );
  for (const query of queries) {
    const first = await auditPage(reader, query.filters, { limit: 100 });
    if (first.items.length === 0)
      throw new Error(`${query.name}: no match, the store is not what the bench built`);
    for (let i = 0; i < 20; i++) await auditPage(reader, query.filters, { limit: 100 });
    const indexed = await time(RUNS, () => auditPage(reader, query.filters, { limit: 100 }));
    let matches = 0;
    const scanned = await time(SCAN_RUNS, async () => {
      // What answering the filter from the event log takes: every event read, the matches kept.
      matches = 0;
      for (let after = 0; ; ) {
        const page = await events.readAll({ fromPosition: after, limit: 10_000 });
        if (page.length === 0) break;
        for (const event of page) if (query.scan(event)) matches += 1;
        after = page.at(-1)!.position;
      }
    });
    console.log(
      `${query.name.padEnd(24)} ${String(matches).padStart(8)} ${indexed.p50.toFixed(2).padStart(8)} ${indexed.p99.toFixed(2).padStart(8)}   ${scanned.p50.toFixed(0).padStart(9)} ${scanned.p99.toFixed(0).padStart(9)} ${`${(scanned.p50 / indexed.p50).toFixed(0)}×`.padStart(10)}`,
    );
  }
  await events.close();
  await readStore.close();
}

await main();
