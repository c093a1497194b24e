// npm run bench:store — throughput of the SQLite event store and of `m3m replay` (all projections) on this machine.
// `-- --events N` (or BENCH_EVENTS) sets the size of the readAll / rebuild data set (default 1,000,000);
// BENCH_SINGLE the number of single-event appends (default 20,000: on PostgreSQL each waits for a WAL flush).
// Bytes per goal increment count the event store's file and WAL (events, their index, the ADR 21 chain, the
// interned names of ADR 24); the read store's growth for the same increments (audit log entry and its indexes,
// goal and event-type statistics) is printed on its own line.
// `npm run bench:store -- --store postgres` measures PostgreSQL too and prints its figures beside SQLite's:
// on M3M_POSTGRES_URL when set, else on a throw-away cluster with PostgreSQL's default durability.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { EventSchemaRegistry } from '../application/commands/eventSchemas.ts';
import type { EventStore, NewEvent } from '../application/ports/eventStore.ts';
import type { ReadStore } from '../application/ports/readStore.ts';
import { openPostgresEventStore } from '../infrastructure/eventStore/postgresEventStore.ts';
import { openSqliteEventStore } from '../infrastructure/eventStore/sqliteEventStore.ts';
import { openPostgresReadStore } from '../infrastructure/readStore/postgresReadStore.ts';
import { openSqliteReadStore } from '../infrastructure/readStore/sqliteReadStore.ts';
import { projections } from '../projections/index.ts';
import { ProjectionRunner } from '../projections/projectionRunner.ts';
import { startPostgresCluster } from '../test/kit/postgresCluster.ts';

const eventsArg = process.argv.indexOf('--events');
const TOTAL = Number(
  eventsArg === -1 ? (process.env.BENCH_EVENTS ?? 1_000_000) : process.argv[eventsArg + 1],
);
if (!Number.isInteger(TOTAL) || TOTAL < 20_000) {
  console.error('--events takes a whole number of at least 20000');
  process.exit(2);
}
const SINGLE = Number(process.env.BENCH_SINGLE ?? 20_000);
const BATCH = 100;
const GOALS = 50;
const DAY = new Date().toISOString().slice(0, 10);

/** What m3m's store mostly holds: goal increments, after the goals they count were defined. */
const event = (i: number): NewEvent => ({
  ...(i < GOALS
    ? {
        type: 'GoalDefined',
        data: {
          goalId: `goal-${i}`,
          projectId: null,
          slug: `goal-${i}`,
          name: `Goal ${i}`,
          color: '#3b82f6',
          description: '',
          goalType: i % 2 === 0 ? 'counter' : 'daily_counter',
          allowedProjectIds: [],
        },
      }
    : { type: 'GoalIncremented', data: { goalId: `goal-${i % GOALS}`, by: 1, day: DAY, projectId: null } }),
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

interface Stores {
  eventStore: EventStore;
  readStore: ReadStore;
  /** Bytes the event store takes on disk now (WAL checkpointed first), for the bytes-per-increment figure. */
  bytesOnDisk(): Promise<number>;
  /** The same for the read store, when it has a file of its own. */
  readBytesOnDisk?(): Promise<number>;
  close(): Promise<void>;
}

const INCREMENTS = 20_000;

/** Increments as `POST /goals/:goal/increment` writes them: a goal's stream, a project, a request id. */
function increment(goalId: string, projectId: string, i: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'GoalIncremented',
    data: { goalId, by: 1, day: DAY, projectId },
    metadata: {
      actorId: null,
      correlationId: randomUUID(),
      causationId: null,
      source: 'api',
      schemaVersion: 1,
      timestamp: new Date().toISOString(),
      requestId: `req-${i.toString(36)}`,
    },
  };
}

/**
 * Bytes on disk per goal increment: the growth of the event store over INCREMENTS of them, on ten goals defined
 * before; and of the read store once every projection has applied them.
 */
async function bytesPerIncrement(stores: Stores): Promise<{ events: number; read: number | null }> {
  const goals = Array.from({ length: 10 }, () => randomUUID());
  const projectId = randomUUID();
  const runner = new ProjectionRunner({
    eventStore: stores.eventStore,
    readStore: stores.readStore,
    schemas: new EventSchemaRegistry(),
    projections,
  });
  for (const [i, goalId] of goals.entries()) {
    const defined = event(i);
    await stores.eventStore.append(
      `goal-${goalId}`,
      [{ ...defined, data: { ...(defined.data as object), goalId, projectId, slug: `g-${goalId}` } }],
      { expectedRevision: 'any' },
    );
  }
  await runner.catchUp();
  const before = await stores.bytesOnDisk();
  const readBefore = (await stores.readBytesOnDisk?.()) ?? null;
  for (let i = 0; i < INCREMENTS; i += 100) {
    // 100 concurrent requests: as served, they share group commits.
    await Promise.all(
      Array.from({ length: 100 }, (_, k) =>
        stores.eventStore.append(
          `goal-increments-${goals[(i + k) % 10]}`,
          [increment(goals[(i + k) % 10]!, projectId, i + k)],
          {
            expectedRevision: 'any',
          },
        ),
      ),
    );
  }
  const events = ((await stores.bytesOnDisk()) - before) / INCREMENTS;
  if (readBefore === null) return { events, read: null };
  await runner.catchUp();
  return { events, read: ((await stores.readBytesOnDisk!()) - readBefore) / INCREMENTS };
}

/** Figure name → value, in the order measured. */
type Figures = Map<string, string>;

async function measure(stores: Stores): Promise<Figures> {
  const { eventStore, readStore } = stores;
  const figures: Figures = new Map();
  const bytes = await bytesPerIncrement(stores);
  figures.set(`bytes on disk per goal increment (${INCREMENTS})`, `${Math.round(bytes.events)} B`);
  figures.set(
    '  read store, per increment projected',
    bytes.read === null ? 'n/a' : `${Math.round(bytes.read)} B`,
  );
  let t = performance.now();
  for (let i = 0; i < SINGLE; i++) {
    await eventStore.append(`bench-single-${i % 100}`, [event(i)], { expectedRevision: 'any' });
  }
  figures.set(`single-event appends (${SINGLE})`, `${rate(SINGLE, performance.now() - t)} appends/s`);

  const remaining = TOTAL - SINGLE;
  t = performance.now();
  let written = 0;
  for (let b = 0; written < remaining; b++) {
    const size = Math.min(BATCH, remaining - written);
    const batch = Array.from({ length: size }, (_, k) => event(written + k));
    await eventStore.append(`bench-batch-${b % 1000}`, batch, { expectedRevision: 'any' });
    written += size;
  }
  figures.set(
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
  figures.set(`readAll, pages of 1000 (${read} events)`, `${rate(read, performance.now() - t)} events/s`);

  // As `m3m replay` does: every projection rebuilt, in one pass over `$all`.
  const runner = new ProjectionRunner({
    eventStore,
    readStore,
    schemas: new EventSchemaRegistry(),
    projections,
  });
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  t = performance.now();
  const cpuBefore = process.cpuUsage();
  const [summary] = await runner.replay(undefined, () => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  });
  const replayMs = performance.now() - t;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  figures.set(
    `m3m replay, all ${projections.length} projections (${summary!.events})`,
    `${(replayMs / 1000).toFixed(1)} s, ${rate(summary!.events, replayMs)} events/s`,
  );
  figures.set(
    '  replay of 1,000,000 events at this rate',
    `${((replayMs / 1000) * (1_000_000 / summary!.events)).toFixed(1)} s`,
  );
  // On a shared machine the wall time depends on the others' load; the CPU time of this process much less.
  figures.set('replay CPU time (this process)', `${cpuSeconds.toFixed(1)} s`);
  figures.set(
    '  replay CPU per 1,000,000 events',
    `${(cpuSeconds * (1_000_000 / summary!.events)).toFixed(1)} s`,
  );
  figures.set('load average after the replay', loadavg()[0]!.toFixed(2));
  figures.set(
    'replay memory: peak RSS (growth)',
    `${Math.round(rssPeak / 2 ** 20)} MiB (+${Math.round((rssPeak - rssBefore) / 2 ** 20)})`,
  );
  return figures;
}

const storeArg = process.argv.indexOf('--store');
const wanted = storeArg === -1 ? 'sqlite' : process.argv[storeArg + 1];
if (wanted !== 'sqlite' && wanted !== 'postgres') {
  console.error('usage: npm run bench:store [-- --store postgres]');
  process.exit(2);
}

console.log(
  `m3m bench:store — Node ${process.version}, ${TOTAL} events per store; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
const columns: [string, Figures][] = [];

/** A SQLite file's size with its WAL, checkpointed first. */
async function fileBytes(path: string): Promise<number> {
  const db = new DatabaseSync(path);
  try {
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const sizes = await Promise.all(
    [path, `${path}-wal`].map((f) =>
      stat(f).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  return sizes[0]! + sizes[1]!;
}

const dir = await mkdtemp(join(tmpdir(), 'm3m-bench-'));
const sqlite: Stores = {
  eventStore: openSqliteEventStore({ path: join(dir, 'events.sqlite') }),
  readStore: openSqliteReadStore({ path: join(dir, 'read.sqlite') }),
  bytesOnDisk: () => fileBytes(join(dir, 'events.sqlite')),
  readBytesOnDisk: () => fileBytes(join(dir, 'read.sqlite')),
  close: async () => {
    await sqlite.eventStore.close();
    await sqlite.readStore.close();
    await rm(dir, { recursive: true, force: true });
  },
};
try {
  columns.push(['SQLite', await measure(sqlite)]);
} finally {
  await sqlite.close();
}

if (wanted === 'postgres') {
  const cluster = process.env.M3M_POSTGRES_URL ? null : await startPostgresCluster({ durability: 'durable' });
  const url = process.env.M3M_POSTGRES_URL ?? cluster!.url;
  try {
    const eventStore = await openPostgresEventStore({ url });
    const readStore = await openPostgresReadStore({ url });
    try {
      const bytesOnDisk = async () => {
        const { default: pg } = await import('pg');
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query('CHECKPOINT').catch(() => {});
          const { rows } = await client.query(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE 'm3m_%'",
          );
          return Number(rows[0].bytes);
        } finally {
          await client.end();
        }
      };
      columns.push([
        'PostgreSQL',
        await measure({ eventStore, readStore, bytesOnDisk, close: async () => {} }),
      ]);
    } finally {
      await eventStore.close();
      await readStore.close();
    }
  } finally {
    await cluster?.stop();
  }
}

const names = [...columns[0]![1].keys()];
console.log(['figure'.padEnd(52), ...columns.map(([store]) => store.padStart(26))].join(''));
names.forEach((name, i) => {
  const cells = columns.map(([, figures]) => [...figures.values()][i]!.padStart(26));
  console.log([name.padEnd(52), ...cells].join(''));
});
