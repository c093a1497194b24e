import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretCipher } from '../../application/ports/secretCipher.ts';
import { makePrivateDir } from '../files/privateFiles.ts';

export const SECRETS_KEY_FILE = 'secrets-key';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM: a fresh 96-bit IV per encryption, the 128-bit tag authenticates ciphertext and context.
 * Format: `<iv>.<tag>.<ciphertext>`, each base64.
 */
export function aesGcmCipher(key: Buffer): SecretCipher {
  if (key.length !== KEY_BYTES) throw new Error(`The secrets key must be ${KEY_BYTES} bytes`);
  return {
    encrypt(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64')).join('.');
    },
    decrypt(token, context) {
      const parts = token.split('.');
      if (parts.length !== 3) throw new Error('Not a secret made by m3m');
      const [iv, tag, ciphertext] = parts.map((p) => Buffer.from(p, 'base64')) as [Buffer, Buffer, Buffer];
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('Not a secret made by m3m');
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      // Throws on a wrong key, a wrong context or any tampering.
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    },
  };
}

/**
 * The secrets key: from configuration (`M3M_SECRETS_KEY`) when given, otherwise `<dataDir>/secrets-key`,
 * created on first use: 32 random bytes (base64) written whole to a temporary file (flag `wx`, mode 0600), then
 * hard-linked into place, which fails if the file exists — when two processes start at once the loser reads
 * what the winner wrote, and nobody reads a half-written key. A key file other users can read is refused.
 * Losing this file makes every stored secret unreadable: back it up with the data.
 */
export function loadSecretsKey(options: { configured: Buffer | null; dataDir: string }): Buffer {
  if (options.configured) return options.configured;
  const path = join(options.dataDir, SECRETS_KEY_FILE);
  makePrivateDir(options.dataDir);
  if (!existsSync(path)) createKeyFile(path);
  const { mode } = statSync(path);
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new Error(
      `${path} is readable by other users (mode ${(mode & 0o777).toString(8)}): run chmod 600 on it, or set M3M_SECRETS_KEY`,
    );
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error(`${path} does not hold a base64 ${KEY_BYTES}-byte key; restore it from a backup`);
  }
  return key;
}

function createKeyFile(path: string): void {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
}
