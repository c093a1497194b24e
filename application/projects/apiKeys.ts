import { hash, randomBytes } from 'node:crypto';
import type { ApiKeyDigest } from '../../domain/project.ts';

export const API_KEY_PREFIX = 'm3m_';
/** `m3m_` and the first 8 characters of the random part: enough to tell keys apart, useless to guess one. */
const DISPLAY_LENGTH = API_KEY_PREFIX.length + 8;

/**
 * A project's API key: `m3m_` + 32 random bytes in base64url. Only its SHA-256 is kept (events, read model):
 * with 256 bits of entropy a brute-force search is hopeless whatever the hash speed, so a fast hash that the
 * key check can look up by index is the right tool — a slow password hash would only slow every request.
 */
export function generateApiKey(): { key: string; digest: ApiKeyDigest } {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, digest: { hash: hashApiKey(key), prefix: key.slice(0, DISPLAY_LENGTH) } };
}

export function hashApiKey(key: string): string {
  // One-shot: every request with a key hashes it, and `createHash` costs an object and three calls more.
  return hash('sha256', key, 'hex');
}

/** A cheap shape check before any lookup. */
export function looksLikeApiKey(key: string): boolean {
  return /^m3m_[A-Za-z0-9_-]{43}$/.test(key);
}
