import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../infrastructure/eventStore/sqliteEventStore.ts';
import { projections } from '../../projections/index.ts';
import { runCli as m3m, spawnCli } from '../kit/cli.ts';
import { appendDeposits } from '../kit/ledger.ts';

const cli = join(import.meta.dirname, '../../cli/run.ts');

describe('m3m CLI', () => {
  let dataDir: string;
  let server: ChildProcess | null = null;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'm3m-cli-'));
  });
  afterEach(async () => {
    server?.kill('SIGKILL');
    server = null;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('--help lists the commands', async () => {
    const run = await m3m(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/serve\s+Start m3m/);
    expect(run.stdout).toMatch(/replay\s+Rebuild read models/);
  });

  it('a wrong flag gives oclif’s error and a non-zero exit', async () => {
    const run = await m3m(['replay', '--bogus']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Nonexistent flag: --bogus');
  });

  it('serve refuses a bad configuration, naming the variable', async () => {
    const run = await spawnCli(['serve'], {
      M3M_DATA_DIR: dataDir,
      M3M_PORT: 'abc',
      M3M_EVENT_STORE: 'postgres',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('M3M_PORT: must be an integer between 0 and 65535 (got "abc")');
    expect(run.stderr).toContain('M3M_EVENT_STORE');
  });

  // A process of its own: its start takes long on a loaded machine.
  it('serve starts on the configured port, prints where the UI and the API docs are, answers /health and the OpenAPI document, and stops on SIGTERM', {
    timeout: 90_000,
  }, async () => {
    // Readable lines on request (a terminal gets them by default); JSON otherwise, as every other test sees it.
    const proc = spawn(process.execPath, [cli, 'serve'], {
      env: {
        ...process.env,
        M3M_DATA_DIR: dataDir,
        M3M_PORT: '0',
        M3M_LOG_LEVEL: 'info',
        M3M_LOG_FORMAT: 'pretty',
      },
    });
    server = proc;
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      proc.stdout!.on('data', (chunk) => {
        out += chunk;
        const match = /API docs: (http:\/\/127\.0\.0\.1:\d+)\/api\/docs/.exec(out);
        if (match) resolve(match[1]!);
      });
      proc.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
    expect(out).toContain(`admin UI: ${url}/`);
    const lines = out.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
    expect(out).toMatch(/INFO.*Server listening at/);

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      eventStore: { kind: 'sqlite' },
      storage: { state: 'ok' },
      // Every read model m3m maintains, in the order of projections/index.ts.
      projections: projections.map((p) => ({ name: p.name, state: 'live', lag: 0 })),
    });
    const docs = await fetch(`${url}/api/docs/json`);
    expect(((await docs.json()) as { openapi: string }).openapi).toBe('3.1.0');
    // Requests are logged readably too, with their request id.
    for (let waited = 0; !out.includes('/health') && waited < 5000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(out.split('\n').find((line) => line.includes('/health'))).toMatch(/INFO.*req-\d+/);

    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('replay rebuilds from the event store with progress and a summary that counts the store once', async () => {
    const store = openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
    await appendDeposits(store, 1500);
    await store.close();

    const run = await m3m(['replay'], { M3M_DATA_DIR: dataDir });
    expect(run.code).toBe(0);
    // One pass rebuilds them all: one progress bar.
    expect(run.stderr).toMatch(
      new RegExp(`${projections.length} projections \\[#+\\] 100% 1500 events \\d+ ev/s`),
    );
    expect(run.stdout).toContain('Replay summary: 1500 events in the store');
    // Per projection what it applied: every event counts for the type statistics, none for the users.
    expect(run.stdout).toMatch(/event_type_stats\s+applied\s+1500\s+[\d.]+ s\s+\d+ ev\/s/);
    expect(run.stdout).toMatch(/users\s+applied\s+0\s+[\d.]+ s/);
    expect(projections.length).toBeGreaterThanOrEqual(6);
    expect(run.stdout).toMatch(new RegExp(`${projections.length} projection\\(s\\) rebuilt in [\\d.]+ s`));
    expect(run.stdout).not.toContain(String(projections.length * 1500));
  });

  it('replay refuses a data directory that does not exist or holds no events, and creates nothing', async () => {
    const mistyped = join(dataDir, 'dtaa');
    const missing = await m3m(['replay'], { M3M_DATA_DIR: mistyped });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`The data directory ${mistyped} does not exist`);
    expect(missing.stderr).toContain('(data_dir_missing)');
    expect(existsSync(mistyped)).toBe(false);

    const empty = await m3m(['replay'], { M3M_DATA_DIR: dataDir });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('holds no event store (events.sqlite)');
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('replay --projection with an unknown name fails and lists the known ones', async () => {
    const run = await m3m(['replay', '--projection', 'nope'], { M3M_DATA_DIR: dataDir });
    expect(run.code).toBe(2);
    // oclif wraps long error lines (with a ` ›` margin).
    expect(run.stderr).toMatch(/Unknown projection: nope\. Known projections: event_type_stats,[\s›]+users/);
  });
});
