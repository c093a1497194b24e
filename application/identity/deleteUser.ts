import { type Caller, eventMetadata } from '../context.ts';
import {
  changeUser,
  changeUserAddress,
  type IdentityDeps,
  type IdentityResult,
  laterPosition,
  releaseEmail,
} from './userCommands.ts';

/**
 * Deletes a user (never the root) and frees their email for a new account, in one append where the event store
 * offers it. Their history stays in the log.
 */
export async function deleteUser(
  deps: IdentityDeps,
  caller: Caller,
  userId: string,
): Promise<IdentityResult> {
  const context = eventMetadata(caller.actor, caller);
  const change = { kind: 'delete' as const };
  if (deps.commands.eventStore.appendAtomically) {
    const { position } = await changeUserAddress(
      deps,
      caller,
      userId,
      { type: 'DeleteUser' },
      change,
      context,
      null,
    );
    return { userId, position };
  }
  const result = await changeUser(deps, caller, userId, { type: 'DeleteUser' }, change, context);
  const released = await releaseEmail(deps, result.before.email, userId, context);
  return { userId, position: laterPosition(result.position, released) };
}
