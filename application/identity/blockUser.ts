import type { Caller } from '../context.ts';
import { changeUser, type IdentityDeps, type IdentityResult } from './userCommands.ts';

/** Blocks a user: they can no longer log in, and their tokens stop working at once. */
export async function blockUser(deps: IdentityDeps, caller: Caller, userId: string): Promise<IdentityResult> {
  const result = await changeUser(deps, caller, userId, { type: 'BlockUser' }, { kind: 'block' });
  return { userId, position: result.position };
}

/** Lets a blocked user log in again (tokens from before the block stay invalid). */
export async function unblockUser(
  deps: IdentityDeps,
  caller: Caller,
  userId: string,
): Promise<IdentityResult> {
  const result = await changeUser(deps, caller, userId, { type: 'UnblockUser' }, { kind: 'unblock' });
  return { userId, position: result.position };
}
