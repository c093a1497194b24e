import { randomBytes } from 'node:crypto';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makePrivateDir } from '../files/privateFiles.ts';

export const SECRET_FILE = 'jwt-secret';
const MIN_LENGTH = 32;

/**
 * The token signing secret: `M3M_JWT_SECRET` when set, else `<dataDir>/jwt-secret`, created on first start
 * (48 random bytes, base64url) with mode 0600. The secret is written whole to a temporary file (flag `wx`, mode
 * 0600) and then hard-linked into place, which fails if the file exists: when two processes start at once, the
 * loser reads what the winner wrote, and nobody can read a half-written file. A file others can read is refused
 * rather than silently used.
 */
export async function loadJwtSecret(options: {
  configured: string | null;
  dataDir: string;
}): Promise<string> {
  if (options.configured) return options.configured;
  const path = join(options.dataDir, SECRET_FILE);
  makePrivateDir(options.dataDir);
  if (!(await stat(path).catch(() => null))) await createSecretFile(path);
  const { mode } = await stat(path);
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new Error(
      `${path} is readable by other users (mode ${(mode & 0o777).toString(8)}): run chmod 600 on it, or set M3M_JWT_SECRET`,
    );
  }
  const secret = (await readFile(path, 'utf8')).trim();
  if (secret.length < MIN_LENGTH) {
    throw new Error(
      `${path} holds fewer than ${MIN_LENGTH} characters: delete it to have a new one generated`,
    );
  }
  return secret;
}

async function createSecretFile(path: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  try {
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
}
