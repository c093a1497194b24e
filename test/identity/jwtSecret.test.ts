import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadJwtSecret } from '../../infrastructure/auth/jwtSecret.ts';
import { startTestServer } from '../kit/server.ts';

describe('JWT secret', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'm3m-secret-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('uses the configured secret and writes no file', async () => {
    const secret = 'c'.repeat(40);
    expect(await loadJwtSecret({ configured: secret, dataDir })).toBe(secret);
    await expect(stat(join(dataDir, 'jwt-secret'))).rejects.toThrow();
  });

  it('generates 48 random bytes on first start, mode 0600, and reads the same back later', async () => {
    const first = await loadJwtSecret({ configured: null, dataDir: join(dataDir, 'nested') });
    expect(first).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const path = join(dataDir, 'nested', 'jwt-secret');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe(first);
    expect(await loadJwtSecret({ configured: null, dataDir: join(dataDir, 'nested') })).toBe(first);
  });

  it('gives every concurrent starter the same secret', async () => {
    const secrets = await Promise.all(
      Array.from({ length: 8 }, () => loadJwtSecret({ configured: null, dataDir })),
    );
    expect(new Set(secrets).size).toBe(1);
  });

  it('refuses a secret file others can read', async () => {
    await writeFile(join(dataDir, 'jwt-secret'), 's'.repeat(64));
    await chmod(join(dataDir, 'jwt-secret'), 0o644);
    await expect(loadJwtSecret({ configured: null, dataDir })).rejects.toThrow(
      /readable by other users.*chmod 600/,
    );
  });

  it('refuses a secret file that is too short', async () => {
    await writeFile(join(dataDir, 'jwt-secret'), 'short', { mode: 0o600 });
    await expect(loadJwtSecret({ configured: null, dataDir })).rejects.toThrow(/fewer than 32/);
  });

  it('keeps tokens valid across a restart when the secret was generated', async () => {
    const first = await startTestServer({ dataDir, env: { M3M_JWT_SECRET: '' } });
    let token: string;
    try {
      token = await first.signInAsRoot();
    } finally {
      await first.close();
    }
    const second = await startTestServer({ dataDir, env: { M3M_JWT_SECRET: '' } });
    try {
      expect((await second.request('GET', '/api/v1/me', { token })).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
