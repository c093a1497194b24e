// npm run bench:goals — goal increments over HTTP with a project API key, against m3m (event appended, statistics
// projection running) and against a baseline Fastify server that does a plain SQLite UPDATE, no events.
// Each server runs in a child process; autocannon drives it from this one. BENCH_DURATION (seconds, default 10)
// and BENCH_CONNECTIONS (default 50) change the load.
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import autocannon from 'autocannon';
import Fastify from 'fastify';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SLUG = 'bench-hits';
const PATH = `/api/v1/goals/${SLUG}/increment`;

type Ready = { url: string; key: string };
type Message = { ready: Ready } | { total: number; catchUpMs: number };

// ---------------------------------------------------------------------------------------------- child: m3m
async function serveM3m(dir: string): Promise<void> {
  const { loadConfig } = await import('../infrastructure/config.ts');
  const { createLogger } = await import('../infrastructure/logging.ts');
  const { openM3m } = await import('../infrastructure/composition.ts');
  const { buildServer } = await import('../infrastructure/http/server.ts');
  const { createProject } = await import('../application/projects/createProject.ts');
  const { defineGoal } = await import('../application/goals/defineGoal.ts');
  const { GOAL_TOTALS } = await import('../application/projects/readModel.ts');

  const config = loadConfig({ M3M_DATA_DIR: dir, M3M_PORT: '0', M3M_LOG_LEVEL: 'silent' });
  const m3m = await openM3m(config, createLogger(config));
  await m3m.runner.start();
  const app = await buildServer(m3m);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const system = { kind: 'system' } as const;
  const project = await createProject(m3m.projects, system, { name: 'Bench', slug: 'bench' });
  await m3m.runner.waitFor(project.position);
  const goal = await defineGoal(m3m.projects, system, project.projectId, {
    slug: 'hits',
    name: 'Hits',
    type: 'counter',
  });
  await m3m.runner.waitFor(goal.position);
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  process.send!({
    ready: { url: `http://127.0.0.1:${address.port}`, key: project.apiKey },
  } satisfies Message);

  process.on('message', async (message) => {
    if (message !== 'total') return;
    // How long the statistics projection needs, after the load stops, to have counted every increment.
    const started = performance.now();
    await m3m.runner.waitFor(await m3m.eventStore.headPosition(), 120_000);
    const catchUpMs = performance.now() - started;
    const total = (await m3m.readStore.collection(GOAL_TOTALS).get(goal.goalId))?.total as number;
    process.send!({ total, catchUpMs } satisfies Message);
    await app.close();
    await m3m.close();
    process.exit(0);
  });
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
interface Run {
  name: string;
  result: autocannon.Result;
  total: number;
  catchUpMs: number;
}

async function run(name: string, mode: 'm3m' | 'baseline'): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), `m3m-bench-goals-${mode}-`));
  const child = fork(import.meta.filename, [mode, dir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [],
  });
  const next = () =>
    new Promise<Message>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Message));
      child.once('exit', (code) => reject(new Error(`${name} server exited (${code})`)));
    });
  try {
    const ready = await next();
    if (!('ready' in ready)) throw new Error('unexpected message');
    const result = await autocannon({
      url: ready.ready.url + PATH,
      method: 'POST',
      connections: CONNECTIONS,
      duration: DURATION,
      headers: { 'content-type': 'application/json', 'x-api-key': ready.ready.key },
      body: '{"by":1}',
    });
    const done = next();
    child.send('total');
    const counted = await done;
    if (!('total' in counted)) throw new Error('unexpected message');
    return { name, result, total: counted.total, catchUpMs: counted.catchUpMs };
  } finally {
    // The child exits by itself once it has reported; give it time to (for BENCH_PROFILE) write its profile.
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const timer = setTimeout(() => child.kill(), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `m3m bench:goals — POST ${PATH} with X-Api-Key, ${CONNECTIONS} connections, ${DURATION} s per server\n` +
      `Node ${process.version}, ${availableParallelism()} CPU(s) (${cpus()[0]?.model ?? 'unknown'}); servers run in child processes\n`,
  );
  const runs = [
    await run('m3m (event + projections)', 'm3m'),
    await run('baseline (SQLite UPDATE)', 'baseline'),
  ];
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  console.log(
    `${'server'.padEnd(28)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('2xx', 10)}${pad('non-2xx', 9)}${pad('errors', 8)}`,
  );
  for (const { name, result } of runs) {
    console.log(
      `${name.padEnd(28)}${pad(Math.round(result.requests.average), 10)}${pad(result.latency.p50, 9)}${pad(result.latency.p99, 9)}` +
        `${pad(result['2xx'], 10)}${pad(result.non2xx, 9)}${pad(result.errors, 8)}`,
    );
  }
  const [m3m, baseline] = runs as [Run, Run];
  console.log(
    `\nthroughput ratio m3m / baseline: ${(m3m.result.requests.average / baseline.result.requests.average).toFixed(2)}`,
  );
  // autocannon stops counting at the deadline: requests still in flight then (at most one per connection) may
  // have been applied without being counted as 2xx. Exact means: every 2xx is counted, nothing beyond what was sent.
  const exact = (r: Run) => r.total >= r.result['2xx'] && r.total <= r.result.requests.sent;
  for (const r of runs) {
    console.log(
      `${r.name}: total ${r.total}; ${r.result['2xx']} answered 2xx, ${r.result.requests.sent} sent ${exact(r) ? '(consistent)' : '(LOST OR EXTRA INCREMENTS)'}` +
        (r.catchUpMs ? `; statistics caught up ${Math.round(r.catchUpMs)} ms after the load stopped` : ''),
    );
  }
  if (!runs.every(exact)) process.exitCode = 1;
}

const [mode, dir] = process.argv.slice(2);
if (mode === 'm3m') await serveM3m(dir!);
else if (mode === 'baseline') await serveBaseline(dir!);
else await main();
