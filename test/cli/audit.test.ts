import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../kit/cli.ts';
import { send } from '../kit/http.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

const cliEntry = join(import.meta.dirname, '../../cli/run.ts');

/**
 * `m3m audit` reads the data directory a server is running on (its own projection catch-up), with the API's
 * filters, as a table or NDJSON, secrets redacted; `--follow` sees an event the server appends afterwards.
 */
describe('m3m audit', () => {
  let server: TestServer;
  let root: string;
  let projectId: string;
  const SECRET = 'cli-s3cret-value-0815';

  beforeAll(async () => {
    server = await startTestServer();
    root = await server.signInAsRoot();
    const created = await send(server, 'POST', '/api/v1/projects', {
      token: root,
      body: { name: 'Audit shop', slug: 'audit-shop' },
    });
    projectId = created.json.id as string;
    await send(server, 'PUT', `/api/v1/projects/${projectId}/environment/API_TOKEN`, {
      token: root,
      body: { value: SECRET, secret: true },
    });
  });
  afterAll(() => server.close());

  const audit = (args: string[]) => runCli(['audit', ...args], { M3M_DATA_DIR: server.dataDir });

  it('prints a table, newest first, filtered by actor and type', async () => {
    const run = await audit(['--actor', ROOT.email, '--type', 'UserSignedIn,ProjectCreated']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^POSITION\s+TIME\s+TYPE\s+ACTOR\s+STREAM$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[2])).toEqual(['ProjectCreated', 'UserSignedIn']);
    expect(lines[1]).toContain(`project-${projectId}`);
  });

  it('prints NDJSON with --json, by project and time, with every secret redacted', async () => {
    const run = await audit(['--project', projectId, '--since', '2000-01-01', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const entries = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; projectId: string; data: Record<string, unknown> });
    expect(entries.map((e) => e.type)).toEqual(['EnvVariableSet', 'ProjectCreated']);
    expect(entries.every((e) => e.projectId === projectId)).toBe(true);
    expect(run.stdout).not.toContain(SECRET);
    expect(JSON.stringify(entries[0]!.data)).toContain('"encrypted":"[redacted]"');
    expect((entries[1]!.data.apiKey as { hash: string }).hash).toBe('[redacted]');
    const none = await audit(['--until', '2000-01-01T00:00:00Z', '--json']);
    expect(none.stdout).toBe('');
  });

  it('refuses a time that is not one, and a data directory that does not exist', async () => {
    const bad = await audit(['--since', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since must be an ISO 8601 time');
    const missing = await runCli(['audit'], { M3M_DATA_DIR: join(server.dataDir, 'nope') });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
  });

  it('--follow prints an event the server appends afterwards', { timeout: 60_000 }, async () => {
    const child = spawn(
      process.execPath,
      [cliEntry, 'audit', '--follow', '--json', '--type', 'ProjectRenamed'],
      {
        env: { ...process.env, M3M_DATA_DIR: server.dataDir, M3M_LOG_LEVEL: 'warn' },
      },
    );
    let out = '';
    let err = '';
    const following = new Promise<void>((resolve) =>
      child.stderr.on('data', (c) => {
        err += c;
        if (err.includes('Following new entries')) resolve();
      }),
    );
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not seen: ${pattern} in ${out} / ${err}`)), 45_000);
        const check = () => {
          if (pattern.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', (c) => {
          out += c;
          check();
        });
        check();
      });
    try {
      // Once it has printed what there was (nothing of that type) and follows, the server renames the project.
      await following;
      expect(out).toBe('');
      const renamed = await send(server, 'PATCH', `/api/v1/projects/${projectId}`, {
        token: root,
        body: { name: 'Renamed shop' },
      });
      expect(renamed.status, renamed.text).toBe(200);
      await seen(/"type":"ProjectRenamed"/);
      const entry = JSON.parse(out.trim().split('\n').at(-1)!) as { data: { name: string } };
      expect(entry.data.name).toBe('Renamed shop');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
