import { createHash } from 'node:crypto';
import { normalizeEmail } from '../../domain/email.ts';

export const USER_STREAM_PREFIX = 'user-';
export const ROOT_STREAM = 'system-root';

export const userStream = (userId: string) => USER_STREAM_PREFIX + userId;

/** `user-<uuid>` → the uuid; `null` for any other stream. */
export function userIdOfStream(streamId: string): string | null {
  return streamId.startsWith(USER_STREAM_PREFIX) ? streamId.slice(USER_STREAM_PREFIX.length) : null;
}

/** The address is hashed so that the stream name neither leaks it nor depends on its characters. */
export const emailStream = (email: string) =>
  `email-${createHash('sha256').update(normalizeEmail(email)).digest('hex')}`;
