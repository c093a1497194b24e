import type { AssignableRole } from '../../domain/user.ts';
import { type Caller, eventMetadata } from '../context.ts';
import { assertCanChangeUser, assertKnownPermissions } from './authorization.ts';
import {
  changeUser,
  changeUserAddress,
  checkedEmail,
  type IdentityDeps,
  type IdentityResult,
  laterPosition,
  loadUser,
  releaseEmail,
  reserveEmail,
} from './userCommands.ts';

export interface UpdateUserInput {
  name?: string;
  email?: string;
  permissions?: readonly string[];
  role?: AssignableRole;
}

/**
 * `PATCH /users/:id`. A new email is reserved, the user changed and the old address released in one append
 * where the event store offers it (SQLite, PostgreSQL). Elsewhere the new address is reserved before the user's
 * stream changes and the old one released after, so at no moment can two users hold one address; if the change
 * is refused, the new reservation is released again.
 */
export async function updateUser(
  deps: IdentityDeps,
  caller: Caller,
  userId: string,
  input: UpdateUserInput,
): Promise<IdentityResult> {
  if (input.permissions) assertKnownPermissions(input.permissions);
  const email = input.email === undefined ? undefined : checkedEmail(input.email);
  const change = { kind: 'update' as const, permissions: input.permissions, role: input.role };
  // Checked up front so that a refused request writes nothing (not even a reservation); checked again at append.
  const current = await loadUser(deps, userId);
  assertCanChangeUser(caller.actor, current, change);

  const context = eventMetadata(caller.actor, caller);
  const newEmail = email !== undefined && email !== current.email ? email : undefined;
  const command = { type: 'UpdateUser' as const, ...input, email };
  if (newEmail && deps.commands.eventStore.appendAtomically) {
    const { position } = await changeUserAddress(deps, caller, userId, command, change, context, newEmail);
    return { userId, position };
  }
  let position: number | null = null;
  if (newEmail) position = await reserveEmail(deps, newEmail, userId, context);
  try {
    const result = await changeUser(deps, caller, userId, command, change, context);
    position = laterPosition(position, result.position);
    const changed = result.events.find((e) => e.type === 'UserEmailChanged');
    if (changed)
      position = laterPosition(position, await releaseEmail(deps, result.before.email, userId, context));
    else if (newEmail && result.before.email !== newEmail)
      position = laterPosition(position, await releaseEmail(deps, newEmail, userId, context));
    return { userId, position };
  } catch (error) {
    // Unless a concurrent request gave the user this very address meanwhile, the reservation is ours to undo.
    if (newEmail) {
      const now = await loadUser(deps, userId).catch(() => null);
      if (now?.email !== newEmail) await releaseEmail(deps, newEmail, userId, context).catch(() => {});
    }
    throw error;
  }
}
