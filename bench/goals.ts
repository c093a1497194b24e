// npm run bench:goals — goal increments over HTTP with a project API key, against m3m as `m3m serve` runs it (the
// CLI's own process: projections, runtime subscriber and scheduler on, webhooks, logging at info as JSON lines to a
// file) and against a baseline Fastify server that does a plain SQLite UPDATE, no events. autocannon drives each
// from this process; the servers' CPU time is read from /proc. BENCH_DURATION (seconds, default 10),
// BENCH_CONNECTIONS (default 50) and BENCH_RUNS (default 3: the ratio is their median) change the load;
// `-- --store postgres` runs m3m on PostgreSQL beside SQLite: on a throw-away cluster, or on BENCH_POSTGRES_URL, a
// database the bench EMPTIES before each run (its public schema is dropped; never point it at data you keep).
// BENCH_PROFILE=<dir> writes a CPU profile of each server there; BENCH_RATE=<req/s> offers a fixed load instead of
// as much as each server takes (to compare CPU per increment between commits; the ratio means little then).
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import autocannon from 'autocannon';
import Fastify from 'fastify';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 0);
const SLUG = 'bench-hits';
const PATH = `/api/v1/goals/${SLUG}/increment`;
const ROOT = join(import.meta.dirname, '..');

type Ready = { url: string; key: string };
type Message = { ready: Ready } | { total: number; catchUpMs: number };
type Store = 'sqlite' | 'postgres';

/** Seconds of CPU (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name; in clock ticks (100/s).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Seconds of CPU per kind of thread of a process so far, from /proc/<pid>/task/<tid>/stat, by the thread's name:
 * `MainThread` (m3m's HTTP thread), `WorkerThread` (the projection thread, ADR 30), `V8Worker` (GC and
 * compilation helpers), `libuv-worker`.
 */
function threadCpuSeconds(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

// ---------------------------------------------------------------------------------------------- m3m, as served
/** Environment of the `m3m serve` under test: its data dir, port, logging at info, the chosen stores. */
function m3mEnv(dir: string, port: number, postgresUrl: string | null): Record<string, string> {
  return {
    M3M_DATA_DIR: dir,
    M3M_HOST: '127.0.0.1',
    M3M_PORT: String(port),
    M3M_LOG_LEVEL: 'info',
    M3M_LOG_FORMAT: 'json',
    ...(postgresUrl
      ? { M3M_EVENT_STORE: 'postgres', M3M_READ_STORE: 'postgres', M3M_POSTGRES_URL: postgresUrl }
      : {}),
  };
}

/** The project, its key and the goal, made through the application as the admin UI would, before serving. */
async function seed(env: Record<string, string>): Promise<{ key: string; goalId: string }> {
  const { loadConfig } = await import('../infrastructure/config.ts');
  const { createLogger } = await import('../infrastructure/logging.ts');
  const { openM3m } = await import('../infrastructure/composition.ts');
  const { createProject } = await import('../application/projects/createProject.ts');
  const { defineGoal } = await import('../application/goals/defineGoal.ts');
  const config = loadConfig({ ...env, M3M_LOG_LEVEL: 'silent' });
  const m3m = await openM3m(config, createLogger(config));
  try {
    await m3m.runner.start();
    const system = { kind: 'system' } as const;
    const project = await createProject(m3m.projects, system, { name: 'Bench', slug: 'bench' });
    await m3m.runner.waitFor(project.position);
    const goal = await defineGoal(m3m.projects, system, project.projectId, {
      slug: 'hits',
      name: 'Hits',
      type: 'counter',
    });
    await m3m.runner.waitFor(goal.position);
    return { key: project.apiKey, goalId: goal.goalId };
  } finally {
    await m3m.close();
  }
}

/** The goal's total as the statistics projection has it, read from the store beside the running server. */
async function totalReader(env: Record<string, string>, goalId: string) {
  const { loadConfig } = await import('../infrastructure/config.ts');
  const { GOAL_TOTALS } = await import('../application/projects/readModel.ts');
  const config = loadConfig({ ...env, M3M_LOG_LEVEL: 'silent' });
  const readStore =
    config.readStore.kind === 'postgres'
      ? await (await import('../infrastructure/readStore/postgresReadStore.ts')).openPostgresReadStore({
          url: config.readStore.url,
        })
      : (await import('../infrastructure/readStore/sqliteReadStore.ts')).openSqliteReadStore({
          path: join(config.dataDir, 'read.sqlite'),
        });
  return {
    total: async () => ((await readStore.collection(GOAL_TOTALS).get(goalId))?.total as number) ?? 0,
    close: () => readStore.close(),
  };
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`m3m serve exited (${child.exitCode})`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('m3m serve did not become healthy within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ----------------------------------------------------------------------------------------- child: baseline
/** The same request and checks (API key → project, goal of that project, `by` validated), one UPDATE, no events. */
async function serveBaseline(dir: string): Promise<void> {
  const db = new DatabaseSync(join(dir, 'baseline.sqlite'));
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
    CREATE TABLE projects (id TEXT PRIMARY KEY, api_key_hash TEXT NOT NULL UNIQUE);
    CREATE TABLE goals (slug TEXT PRIMARY KEY, project_id TEXT NOT NULL, total INTEGER NOT NULL DEFAULT 0);`);
  const key = `m3m_${randomBytes(32).toString('base64url')}`;
  const hash = (k: string) => createHash('sha256').update(k).digest('hex');
  db.prepare('INSERT INTO projects VALUES (?, ?)').run('p1', hash(key));
  db.prepare('INSERT INTO goals (slug, project_id) VALUES (?, ?)').run(SLUG, 'p1');
  const projectByKey = db.prepare('SELECT id FROM projects WHERE api_key_hash = ?');
  const update = db.prepare('UPDATE goals SET total = total + ? WHERE slug = ? AND project_id = ?');

  const app = Fastify();
  app.post<{ Params: { goal: string }; Body: { by?: number } | null }>(
    '/api/v1/goals/:goal/increment',
    {
      schema: {
        body: {
          type: ['object', 'null'],
          properties: { by: { type: 'integer', minimum: 1, maximum: 1_000_000_000 } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const header = request.headers['x-api-key'];
      const project =
        typeof header === 'string'
          ? (projectByKey.get(hash(header)) as { id: string } | undefined)
          : undefined;
      if (!project) return reply.code(401).send({ status: 401 });
      const by = request.body?.by ?? 1;
      const { changes } = update.run(by, request.params.goal, project.id);
      if (changes === 0) return reply.code(403).send({ status: 403 });
      return { slug: request.params.goal, by };
    },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  process.send!({ ready: { url: `http://127.0.0.1:${address.port}`, key } } satisfies Message);
  process.on('message', async (message) => {
    if (message !== 'total') return;
    const { total } = db.prepare('SELECT total FROM goals WHERE slug = ?').get(SLUG) as { total: number };
    process.send!({ total, catchUpMs: 0 } satisfies Message);
    await app.close();
    db.close();
    process.exit(0);
  });
}

// -------------------------------------------------------------------------------------------------- parent
/** The server's event-loop delay over the load (bench/loopDelay.ts), in ms. */
interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  /** CPU of the HTTP (main) thread and of the whole process over the load, and the HTTP thread's loop utilization. */
  httpThreadCpuMs?: number;
  processCpuMs?: number;
  utilization?: number;
}

const LOOP_DELAY_PRELOAD = join(ROOT, 'bench', 'loopDelay.ts');

/** Asks the server (preloaded with bench/loopDelay.ts) for its loop delay since the last ask, and resets it. */
async function loopDelay(pid: number, file: string): Promise<LoopDelay | null> {
  const before = existsSync(file) ? statSync(file).mtimeMs : 0;
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (existsSync(file) && statSync(file).mtimeMs !== before) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as LoopDelay;
      } catch {
        // caught mid-write: read again
      }
    }
  }
  return null;
}

/** The HTTP thread's CPU time over the whole process's, over the load (m3m serve; `null` without the figures). */
function httpShare(loop: LoopDelay | null): number | null {
  if (!loop?.processCpuMs || loop.httpThreadCpuMs === undefined) return null;
  return loop.httpThreadCpuMs / loop.processCpuMs;
}

interface Run {
  name: string;
  result: autocannon.Result;
  loop: LoopDelay | null;
  total: number;
  catchUpMs: number;
  /** Server CPU seconds from the start of the load until every increment was counted. */
  cpu: number;
  /** m3m: CPU seconds over the load by kind of thread (`threadCpuSeconds`). */
  threads?: Map<string, number>;
}

const load = (ready: Ready) =>
  autocannon({
    url: ready.url + PATH,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { 'content-type': 'application/json', 'x-api-key': ready.key },
    body: '{"by":1}',
    // A fixed offered load (requests per second over all connections): CPU per increment then compares across
    // runs and commits without the batching that a saturated server's own speed decides.
    ...(RATE > 0 ? { overallRate: RATE } : {}),
  });

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  // Time to drain and (for BENCH_PROFILE) write its profile.
  const timer = setTimeout(() => {
    console.error('m3m serve did not stop within 20 s of SIGTERM: killed');
    child.kill('SIGKILL');
  }, 20_000);
  await exited;
  clearTimeout(timer);
}

const profileArgs = (name: string) =>
  process.env.BENCH_PROFILE
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${process.env.BENCH_PROFILE}`,
        `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`,
      ]
    : [];

async function runM3m(store: Store, postgresUrl: string | null): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'm3m-bench-goals-m3m-'));
  const port = await freePort();
  const env = m3mEnv(dir, port, postgresUrl);
  const { key, goalId } = await seed(env);
  const log = openSync(join(dir, 'server.log'), 'a');
  const loopFile = join(dir, 'loop-delay.json');
  const child = spawn(
    process.execPath,
    [...profileArgs(`m3m-${store}`), '--import', LOOP_DELAY_PRELOAD, join(ROOT, 'cli', 'run.ts'), 'serve'],
    {
      cwd: ROOT,
      // The caller's own M3M_* settings stay out: the server runs on the bench's data dir and store only.
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('M3M_'))),
        ...env,
        BENCH_LOOP_DELAY_FILE: loopFile,
      },
      stdio: ['ignore', log, log],
    },
  );
  const reader = await totalReader(env, goalId);
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url, child);
    await loopDelay(child.pid!, loopFile);
    const cpuBefore = cpuSeconds(child.pid!);
    const threadsBefore = threadCpuSeconds(child.pid!);
    const result = await load({ url, key });
    const threadsAfter = threadCpuSeconds(child.pid!);
    const threads = new Map(
      [...threadsAfter].map(([name, seconds]) => [name, seconds - (threadsBefore.get(name) ?? 0)] as const),
    );
    const loop = await loopDelay(child.pid!, loopFile);
    // How long the statistics projection needs, after the load stops, to have counted every answered increment.
    const stopped = performance.now();
    let total = await reader.total();
    while (total < result['2xx'] && performance.now() - stopped < 120_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      total = await reader.total();
    }
    const catchUpMs = performance.now() - stopped;
    const cpu = cpuSeconds(child.pid!) - cpuBefore;
    return { name: `m3m serve (${store})`, result, loop, total, catchUpMs, cpu, threads };
  } finally {
    await reader.close();
    await stopChild(child);
    if (postgresUrl) await dropAll(postgresUrl);
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

/** Empties the PostgreSQL database between runs (the throw-away cluster, or BENCH_POSTGRES_URL), so each starts new. */
async function dropAll(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}

async function runBaseline(): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'm3m-bench-goals-baseline-'));
  const loopFile = join(dir, 'loop-delay.json');
  const child = fork(import.meta.filename, ['baseline', dir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...profileArgs('baseline'), '--import', LOOP_DELAY_PRELOAD],
    env: { ...process.env, BENCH_LOOP_DELAY_FILE: loopFile },
  });
  const next = () =>
    new Promise<Message>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Message));
      child.once('exit', (code) => reject(new Error(`baseline server exited (${code})`)));
    });
  try {
    const ready = await next();
    if (!('ready' in ready)) throw new Error('unexpected message');
    await loopDelay(child.pid!, loopFile);
    const cpuBefore = cpuSeconds(child.pid!);
    const result = await load(ready.ready);
    const cpu = cpuSeconds(child.pid!) - cpuBefore;
    const loop = await loopDelay(child.pid!, loopFile);
    const done = next();
    child.send('total');
    const counted = await done;
    if (!('total' in counted)) throw new Error('unexpected message');
    return { name: 'baseline (SQLite UPDATE)', result, loop, total: counted.total, catchUpMs: 0, cpu };
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const timer = setTimeout(() => child.kill(), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const storeArg = process.argv.indexOf('--store');
  const wanted = storeArg === -1 ? 'sqlite' : process.argv[storeArg + 1];
  if (wanted !== 'sqlite' && wanted !== 'postgres') {
    console.error('usage: npm run bench:goals [-- --store postgres]');
    process.exit(2);
  }
  const stores: Store[] = wanted === 'postgres' ? ['sqlite', 'postgres'] : ['sqlite'];
  console.log(
    `m3m bench:goals — POST ${PATH} with X-Api-Key, ${CONNECTIONS} connections, ${DURATION} s per server, ${RUNS} run(s)\n` +
      `Node ${process.version}, ${availableParallelism()} CPU(s) (${cpus()[0]?.model ?? 'unknown'}); ` +
      `m3m as \`m3m serve\` runs it (runtime subscriber, scheduler, logging at info), each server in a process of its own\n` +
      `load average before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
  );
  let cluster: { url: string; stop(): Promise<void> } | null = null;
  let postgresUrl = process.env.BENCH_POSTGRES_URL ?? null;
  if (stores.includes('postgres') && !postgresUrl) {
    const { startPostgresCluster } = await import('../test/kit/postgresCluster.ts');
    cluster = await startPostgresCluster({ durability: 'durable' });
    postgresUrl = cluster.url;
  }
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  console.log(
    `${'run  server'.padEnd(33)}${pad('req/s', 9)}${pad('p50 ms', 8)}${pad('p99 ms', 8)}${pad('2xx', 9)}${pad('non-2xx', 8)}${pad('errors', 7)}${pad('CPU µs/inc', 11)}${pad('loop p99/max ms', 17)}${pad('HTTP thr CPU', 13)}${pad('ELU', 6)}`,
  );
  const all: Run[] = [];
  const ratios = new Map<Store, number[]>(stores.map((s) => [s, []]));
  const p99s = new Map<Store, number[]>(stores.map((s) => [s, []]));
  const cpus_ = new Map<string, number[]>();
  try {
    for (let i = 1; i <= RUNS; i++) {
      const baseline = await runBaseline();
      const runs = [baseline];
      for (const store of stores) {
        const m3m = await runM3m(store, store === 'postgres' ? postgresUrl : null);
        runs.push(m3m);
        ratios.get(store)!.push(m3m.result.requests.average / baseline.result.requests.average);
        p99s.get(store)!.push(m3m.result.latency.p99);
      }
      for (const r of runs) {
        const perIncrement = r.result['2xx'] > 0 ? (r.cpu * 1e6) / r.result['2xx'] : 0;
        cpus_.set(r.name, [...(cpus_.get(r.name) ?? []), perIncrement]);
        console.log(
          `${`${i}    ${r.name}`.padEnd(33)}${pad(Math.round(r.result.requests.average), 9)}${pad(r.result.latency.p50, 8)}${pad(r.result.latency.p99, 8)}` +
            `${pad(r.result['2xx'], 9)}${pad(r.result.non2xx, 8)}${pad(r.result.errors, 7)}${pad(Math.round(perIncrement), 11)}` +
            pad(r.loop ? `${r.loop.p99}/${r.loop.max}` : '—', 17) +
            pad(httpShare(r.loop) === null ? '—' : `${Math.round(httpShare(r.loop)! * 100)}%`, 13) +
            pad(r.loop?.utilization ?? '—', 6),
        );
      }
      all.push(...runs);
    }
  } finally {
    await cluster?.stop();
  }
  console.log(
    `\nload average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const [name, values] of cpus_) {
    console.log(`CPU per increment, ${name}: median ${Math.round(median(values))} µs`);
  }
  for (const store of stores) {
    const shares = all
      .filter((r) => r.name === `m3m serve (${store})`)
      .map((r) => httpShare(r.loop))
      .filter((v): v is number => v !== null);
    if (shares.length > 0) {
      console.log(
        `HTTP thread's share of m3m serve (${store}) CPU over the load: ${shares.map((v) => `${Math.round(v * 100)}%`).join(', ')} (the rest: the projection thread, GC and libuv threads)`,
      );
    }
    for (const r of all.filter((run) => run.name === `m3m serve (${store})` && run.threads)) {
      const sum = [...r.threads!.values()].reduce((a, b) => a + b, 0);
      const parts = [...r.threads!]
        .filter(([, seconds]) => seconds > 0)
        .sort((a, b) => b[1] - a[1])
        .map(
          ([name, seconds]) =>
            `${name} ${seconds.toFixed(2)} s (${Math.round((seconds / (sum || 1)) * 100)}%)`,
        );
      console.log(`  threads of m3m serve (${store}) over the load: ${parts.join(', ')}`);
    }
  }
  for (const store of stores) {
    const values = ratios.get(store)!;
    console.log(
      `m3m serve (${store}): ratios ${values.map((r) => r.toFixed(2)).join(', ')}; p99 ${p99s.get(store)!.join(', ')} ms`,
    );
  }
  for (const store of stores) {
    const label = stores.length > 1 ? ` (${store})` : '';
    console.log(`ratio m3m/baseline${label}: ${median(ratios.get(store)!).toFixed(2)}`);
  }
  // autocannon stops counting at the deadline: requests still in flight then (at most one per connection) may
  // have been applied without being counted as 2xx. Exact means: every 2xx is counted, nothing beyond what was sent.
  const exact = (r: Run) => r.total >= r.result['2xx'] && r.total <= r.result.requests.sent;
  for (const r of all.filter((run) => !exact(run))) {
    console.log(
      `${r.name}: total ${r.total}; ${r.result['2xx']} answered 2xx, ${r.result.requests.sent} sent (LOST OR EXTRA INCREMENTS)`,
    );
  }
  const catchUp = all.filter((r) => r.catchUpMs > 0).map((r) => Math.round(r.catchUpMs));
  if (catchUp.length) console.log(`statistics caught up ${catchUp.join(', ')} ms after the load stopped`);
  console.log(all.every(exact) ? 'every answered increment counted (consistent)' : 'INCONSISTENT');
  if (!all.every(exact)) process.exitCode = 1;
}

const [mode, dir] = process.argv.slice(2);
if (mode === 'baseline') await serveBaseline(dir!);
else await main();
