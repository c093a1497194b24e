import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProject } from '../kit/projects.ts';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../kit/server.ts';

/**
 * Crash and restore consistency (issue 14) through a real server on real files: an event store restored
 * from an older backup, one from another installation, one deleted under the running server.
 */

const CLI = join(import.meta.dirname, '../../cli/run.ts');

function m3m(args: string[], dataDir: string): Promise<{ code: number | null; out: string }> {
  const { NODE_OPTIONS: _ignored, ...inherited } = process.env;
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args], {
      env: {
        ...inherited,
        M3M_DATA_DIR: dataDir,
        M3M_PORT: '0',
        M3M_BCRYPT_ROUNDS: '4',
        M3M_JWT_SECRET: TEST_JWT_SECRET,
      },
    });
    let out = '';
    proc.stdout.on('data', (c) => {
      out += c;
    });
    proc.stderr.on('data', (c) => {
      out += c;
    });
    proc.on('close', (code) => resolve({ code, out }));
  });
}

interface Health {
  status: string;
  feed: { halted: string | null };
  projections: { name: string; state: string }[];
}

// Each test starts servers several times and runs the CLI: minutes on a busy machine.
describe('the read store and the event store belong together', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  let server: TestServer | null = null;
  const dataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'm3m-consistency-'));
    dirs.push(dir);
    return dir;
  };
  const start = async (dir: string) => {
    server = await startTestServer({ dataDir: dir, readModelWaitMs: 300 });
    return server;
  };
  const stop = async () => {
    await server?.close();
    server = null;
  };
  afterEach(async () => {
    await stop();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  const health = async (s: TestServer) => {
    const response = await s.request('GET', '/health');
    return { code: response.status, body: (await response.json()) as Health };
  };
  /** A project with a counter `<slug>-hits`; returns its API key. */
  const shop = async (s: TestServer, token: string, slug: string) => {
    const project = await createProject(s, token, slug);
    const goal = await s.request('POST', `/api/v1/projects/${project.id}/goals`, {
      token,
      body: { name: 'Hits', slug: 'hits', type: 'counter', color: 'emerald' },
    });
    expect(goal.status).toBe(201);
    return { apiKey: project.apiKey, goal: `${slug}-hits` };
  };
  const increment = (s: TestServer, project: { apiKey: string; goal: string }, times: number) =>
    Promise.all(
      Array.from({ length: times }, () =>
        s.request('POST', `/api/v1/goals/${project.goal}/increment`, {
          headers: { 'x-api-key': project.apiKey },
        }),
      ),
    );
  const total = async (s: TestServer, goal: string) => {
    // An increment is answered once stored; the statistics follow (in the projection thread).
    await s.m3m.runner.waitFor(await s.headPosition());
    const token = await s.login('root@example.com', 'root-password-1');
    return ((await (await s.request('GET', `/api/v1/goals/${goal}`, { token })).json()) as { total: number })
      .total;
  };

  /** An installation with 5 increments backed up, then 20 more. Returns the backup's path. */
  async function installationWithBackup(dir: string) {
    const s = await start(dir);
    const token = await s.signInAsRoot();
    const project = await shop(s, token, 'shop');
    await increment(s, project, 5);
    await stop();
    const backup = join(await dataDir(), 'events.sqlite');
    await copyFile(join(dir, 'events.sqlite'), backup);
    const again = await start(dir);
    await increment(again, project, 20);
    expect(await total(again, project.goal)).toBe(25);
    await stop();
    return { backup, project };
  }

  async function restore(backup: string, dir: string) {
    for (const suffix of ['-wal', '-shm']) await rm(join(dir, `events.sqlite${suffix}`), { force: true });
    await copyFile(backup, join(dir, 'events.sqlite'));
  }

  it('an event store restored from an older backup stops the consumers and says so until `m3m replay`', async () => {
    const dir = await dataDir();
    const { backup, project } = await installationWithBackup(dir);
    await restore(backup, dir);

    const s = await start(dir);
    const { code, body } = await health(s);
    expect(code).toBe(503);
    expect(body.status).toBe('degraded');
    expect(body.feed.halted).toMatch(/ahead of the event store.*m3m replay/);
    expect(body.projections.every((p) => p.state === 'halted')).toBe(true);
    // Increments are still recorded, and projected once the read store is rebuilt.
    await increment(s, project, 3);
    await stop();

    const replay = await m3m(['replay'], dir);
    expect(replay.code, replay.out).toBe(0);
    const after = await start(dir);
    expect((await health(after)).body.status).toBe('ok');
    expect(await total(after, project.goal)).toBe(8);
    await increment(after, project, 2);
    expect(await total(after, project.goal)).toBe(10);
  });

  it('`m3m serve --replay-if-behind` rebuilds by itself', async () => {
    const dir = await dataDir();
    const { backup } = await installationWithBackup(dir);
    await restore(backup, dir);
    const { NODE_OPTIONS: _ignored, ...inherited } = process.env;
    const proc = spawn(process.execPath, [CLI, 'serve', '--replay-if-behind'], {
      env: {
        ...inherited,
        M3M_DATA_DIR: dir,
        M3M_PORT: '0',
        M3M_LOG_LEVEL: 'info',
        M3M_BCRYPT_ROUNDS: '4',
        M3M_JWT_SECRET: TEST_JWT_SECRET,
      },
    });
    try {
      let out = '';
      const base = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          out += chunk.toString();
          const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (match) resolve(match[1]!);
        };
        proc.stdout.on('data', onData);
        proc.stderr.on('data', onData);
        proc.on('exit', (c) => reject(new Error(`serve exited with ${c}: ${out}`)));
      });
      expect(out).toContain('replaying');
      const response = await fetch(`${base}/health`);
      expect(response.status).toBe(200);
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'root@example.com', password: 'root-password-1' }),
      });
      const { token } = (await login.json()) as { token: string };
      const goal = await fetch(`${base}/api/v1/goals/shop-hits`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = await goal.text();
      expect(JSON.parse(body), out.slice(-4000)).toMatchObject({ total: 5 });
    } finally {
      const gone = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGKILL');
      await gone;
    }
  });

  it('a read store of another event store is refused the same way', async () => {
    const mine = await dataDir();
    await installationWithBackup(mine);
    const other = await dataDir();
    const s = await start(other);
    const token = await s.signInAsRoot();
    const project = await shop(s, token, 'elsewhere');
    // More events than the first installation: only the identity tells the stores apart.
    await increment(s, project, 60);
    await stop();
    await restore(join(other, 'events.sqlite'), mine);

    const restarted = await start(mine);
    const { code, body } = await health(restarted);
    expect(code).toBe(503);
    expect(body.feed.halted).toMatch(/belongs to another event store.*m3m replay/);
  });

  it('deleting the event store file under a running server is noticed: appends refused, consumers stopped', async () => {
    const dir = await dataDir();
    const s = await start(dir);
    const token = await s.signInAsRoot();
    const project = await shop(s, token, 'shop');
    await increment(s, project, 2);
    for (const suffix of ['', '-wal', '-shm']) await rm(join(dir, `events.sqlite${suffix}`), { force: true });

    const [refused] = await increment(s, project, 1);
    expect(refused!.status).toBe(503);
    expect(((await refused!.json()) as { code: string }).code).toBe('event_store_unavailable');
    await expect
      .poll(async () => (await health(s)).body.feed.halted, { timeout: 10_000 })
      .toMatch(/events\.sqlite was deleted/);
  });
});
