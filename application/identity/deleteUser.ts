import { type Caller, eventMetadata } from '../context.ts';
import {
  changeUser,
  type IdentityDeps,
  type IdentityResult,
  laterPosition,
  releaseEmail,
} from './userCommands.ts';

/** Deletes a user (never the root) and frees their email for a new account. Their history stays in the log. */
export async function deleteUser(
  deps: IdentityDeps,
  caller: Caller,
  userId: string,
): Promise<IdentityResult> {
  const context = eventMetadata(caller.actor, caller);
  const result = await changeUser(deps, caller, userId, { type: 'DeleteUser' }, { kind: 'delete' }, context);
  const released = await releaseEmail(deps, result.before.email, userId, context);
  return { userId, position: laterPosition(result.position, released) };
}
