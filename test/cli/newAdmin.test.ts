import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../infrastructure/eventStore/sqliteEventStore.ts';
import { type CliRun, runCli, spawnCli } from '../kit/cli.ts';
import { startTestServer } from '../kit/server.ts';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

describe('m3m new-admin', () => {
  let dataDir: string;
  const env = () => ({ M3M_DATA_DIR: dataDir, M3M_BCRYPT_ROUNDS: '4', M3M_LOG_LEVEL: 'warn' });

  /** `m3m new-admin …` against the temp data dir: in this process, or a child process when `stdin` is piped. */
  function newAdmin(args: string[], stdin?: string): Promise<CliRun> {
    return stdin === undefined
      ? runCli(['new-admin', ...args], env())
      : spawnCli(['new-admin', ...args], env(), stdin);
  }

  async function events(): Promise<{ type: string; data: unknown }[]> {
    const store = openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
    try {
      return (await store.readAll({ limit: 1000 })).map(({ type, data }) => ({ type, data }));
    } finally {
      await store.close();
    }
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'm3m-new-admin-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('--help shows the usage and the password rule', async () => {
    const run = await newAdmin(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('new-admin EMAIL [PASSWORD]');
    expect(run.stdout).toContain('--password-stdin');
    expect(run.stdout.replace(/\s+/g, ' ')).toContain('at least one letter and one digit');
  });

  it('creates the root on an empty system, then global admins', async () => {
    const first = await newAdmin(['Root@Example.com', 'root-password-1']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^Created root admin root@example\\.com \\(id ${UUID}\\)\\n$`));

    const second = await newAdmin(['second@example.com', 'second-password-2', '--name', 'Second Admin']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(
      new RegExp(`^Created global admin second@example\\.com \\(id ${UUID}\\)\\n$`),
    );

    const registered = (await events()).filter((e) => e.type === 'UserRegistered').map((e) => e.data);
    expect(registered).toMatchObject([
      { email: 'root@example.com', name: 'Root', role: 'root' },
      { email: 'second@example.com', name: 'Second Admin', role: 'admin' },
    ]);
    expect(JSON.stringify(registered)).not.toContain('root-password-1');
  });

  it('reads the password from stdin with --password-stdin', async () => {
    const run = await newAdmin(['stdin@example.com', '--password-stdin'], 'piped-password-1\n');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Created root admin stdin@example.com');

    const server = await startTestServer({ dataDir });
    try {
      await server.login('stdin@example.com', 'piped-password-1');
    } finally {
      await server.close();
    }
  });

  it.each([
    ['a malformed email', ['not-an-email', 'good-password-1'], undefined, '"email" must be an email address'],
    [
      'a weak password (stating the rule)',
      ['weak@example.com', 'short'],
      undefined,
      'a password needs 10 to 72 bytes (UTF-8) with at least one letter and one digit',
    ],
    ['a password without digit', ['weak@example.com', 'no-digits-here'], undefined, 'has no digit'],
    ['no password at all', ['nopw@example.com'], undefined, 'A password is needed'],
    ['a weak password on stdin', ['weak@example.com', '--password-stdin'], 'short\n', 'is too short'],
    [
      'a password both ways',
      ['both@example.com', 'good-password-1', '--password-stdin'],
      'good-password-1\n',
      'not both',
    ],
  ])('refuses %s: exit 1, a message, no file created', async (_label, args, stdin, message) => {
    const run = await newAdmin(args, stdin);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.replace(/\s*\n\s*›\s*/g, ' ')).toContain(message);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('on a data directory that does not exist yet, creates it only when it succeeds', async () => {
    const nested = join(dataDir, 'new');
    const refused = await runCli(['new-admin', 'not-an-email', 'good-password-1'], {
      ...env(),
      M3M_DATA_DIR: nested,
    });
    expect(refused.code).toBe(1);
    expect(existsSync(nested)).toBe(false);

    const created = await runCli(['new-admin', 'first@example.com', 'good-password-1'], {
      ...env(),
      M3M_DATA_DIR: nested,
    });
    expect(created.code).toBe(0);
    expect(await readdir(nested)).toContain('events.sqlite');
  });

  it('refuses an email already taken (in any case): exit 1, nothing more written', async () => {
    expect((await newAdmin(['taken@example.com', 'good-password-1'])).code).toBe(0);
    const before = await events();
    const run = await newAdmin(['TAKEN@example.com', 'other-password-2']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('This email address is already used by another user.');
    expect(await events()).toEqual(before);
  });

  it('works while a server runs on the same data dir, which can then log the admin in', async () => {
    const server = await startTestServer({ dataDir });
    try {
      const run = await newAdmin(['live@example.com', 'live-password-1']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Created root admin live@example.com');

      // The server learns about the new admin from the event store (another process wrote it).
      let status = 0;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(100)) {
        const response = await server.request('POST', '/api/v1/auth/login', {
          body: { email: 'live@example.com', password: 'live-password-1' },
        });
        status = response.status;
        if (status === 200) break;
      }
      expect(status).toBe(200);

      const second = await newAdmin(['live2@example.com', 'live-password-2']);
      expect(second.stdout).toContain('Created global admin live2@example.com');
    } finally {
      await server.close();
    }
  });
});
