import type { Caller } from '../context.ts';
import { refuse } from '../errors.ts';
import type { AvatarStore } from '../ports/avatarStore.ts';
import { changeUser, type IdentityDeps, type IdentityResult } from './userCommands.ts';

export const MAX_AVATAR_BYTES = 1024 * 1024;

/** The accepted picture formats, each recognized by its first bytes (a declared type alone proves nothing). */
export const AVATAR_TYPES = {
  'image/png': {
    extension: 'png',
    matches: (b: Uint8Array) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  },
  'image/jpeg': { extension: 'jpg', matches: (b: Uint8Array) => startsWith(b, [0xff, 0xd8, 0xff]) },
  'image/webp': {
    extension: 'webp',
    matches: (b: Uint8Array) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP',
  },
} as const;
export type AvatarContentType = keyof typeof AVATAR_TYPES;

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return bytes.length >= to ? String.fromCharCode(...bytes.subarray(from, to)) : '';
}

export function isAvatarContentType(type: string): type is AvatarContentType {
  return Object.hasOwn(AVATAR_TYPES, type);
}

export interface AvatarDeps extends IdentityDeps {
  avatars: AvatarStore;
}

/** Self-service: stores the picture (PNG, JPEG or WebP, at most 1 MiB) and makes it the caller's avatar. */
export async function setAvatar(
  deps: AvatarDeps,
  caller: Caller,
  input: { contentType: string; bytes: Uint8Array },
): Promise<IdentityResult> {
  const { actor } = caller;
  if (actor.kind !== 'user') throw refuse('not_a_user', 'Only a user has an avatar.');
  const type = input.contentType.split(';')[0]!.trim().toLowerCase();
  if (!isAvatarContentType(type)) {
    throw refuse('unsupported_avatar_type', `An avatar must be ${Object.keys(AVATAR_TYPES).join(', ')}.`);
  }
  if (input.bytes.length > MAX_AVATAR_BYTES) {
    throw refuse('avatar_too_large', 'An avatar may be at most 1 MiB.');
  }
  const format = AVATAR_TYPES[type];
  if (!format.matches(input.bytes)) {
    throw refuse('avatar_content_mismatch', `The content is not a valid ${type} picture.`);
  }
  const file = await deps.avatars.save(input.bytes, format.extension);
  const result = await changeUser(
    deps,
    caller,
    actor.userId,
    { type: 'SetAvatar', avatar: { file, contentType: type } },
    null,
  );
  return { userId: actor.userId, position: result.position };
}

export async function clearAvatar(deps: IdentityDeps, caller: Caller): Promise<IdentityResult> {
  const { actor } = caller;
  if (actor.kind !== 'user') throw refuse('not_a_user', 'Only a user has an avatar.');
  const result = await changeUser(deps, caller, actor.userId, { type: 'SetAvatar', avatar: null }, null);
  return { userId: actor.userId, position: result.position };
}
