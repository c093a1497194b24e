import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../infrastructure/eventStore/sqliteEventStore.ts';
import { projections } from '../../projections/index.ts';
import { appendDeposits } from '../kit/ledger.ts';

const cli = join(import.meta.dirname, '../../cli/run.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function m3m(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => {
      stdout += c;
    });
    proc.stderr.on('data', (c) => {
      stderr += c;
    });
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

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
    const run = await m3m(['serve'], { M3M_DATA_DIR: dataDir, M3M_PORT: 'abc', M3M_EVENT_STORE: 'postgres' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('M3M_PORT: must be an integer between 0 and 65535 (got "abc")');
    expect(run.stderr).toContain('M3M_EVENT_STORE');
  });

  it('serve starts on the configured port, answers /health and the OpenAPI document, and stops on SIGTERM', async () => {
    const proc = spawn(process.execPath, [cli, 'serve'], {
      env: { ...process.env, M3M_DATA_DIR: dataDir, M3M_PORT: '0', M3M_LOG_LEVEL: 'info' },
    });
    server = proc;
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (chunk) => {
        out += chunk;
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      proc.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      eventStore: { kind: 'sqlite' },
      // Every read model m3m maintains, in the order of projections/index.ts.
      projections: projections.map((p) => ({ name: p.name, state: 'live', lag: 0 })),
    });
    const docs = await fetch(`${url}/api/docs/json`);
    expect(((await docs.json()) as { openapi: string }).openapi).toBe('3.1.0');

    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('replay rebuilds from the event store with progress and a summary', async () => {
    const store = openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
    await appendDeposits(store, 1500);
    await store.close();

    const run = await m3m(['replay'], { M3M_DATA_DIR: dataDir });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/event_type_stats \[#+\] 100% 1500 events \d+ ev\/s/);
    expect(run.stdout).toMatch(/event_type_stats\s+1500 events\s+[\d.]+ s\s+\d+ ev\/s/);
    expect(run.stdout).toMatch(/users\s+1500 events/);
    expect(run.stdout).toMatch(/goal_stats\s+1500 events/);
    expect(projections.length).toBeGreaterThanOrEqual(6);
    expect(run.stdout).toContain(
      `${projections.length} projection(s) rebuilt from ${projections.length * 1500} events`,
    );
  });

  it('replay --projection with an unknown name fails and lists the known ones', async () => {
    const run = await m3m(['replay', '--projection', 'nope'], { M3M_DATA_DIR: dataDir });
    expect(run.code).toBe(2);
    // oclif wraps long error lines (with a ` ›` margin).
    expect(run.stderr).toMatch(/Unknown projection: nope\. Known projections: event_type_stats,[\s›]+users/);
  });
});
