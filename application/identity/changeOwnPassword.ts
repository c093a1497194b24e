import type { Caller } from '../context.ts';
import { refuse } from '../errors.ts';
import {
  changeUser,
  hashNewPassword,
  type IdentityDeps,
  type IdentityResult,
  loadUser,
} from './userCommands.ts';

export interface ChangeOwnPasswordInput {
  currentPassword: string;
  newPassword: string;
}

/** Self-service: needs the current password. Every token issued before stops working. */
export async function changeOwnPassword(
  deps: IdentityDeps,
  caller: Caller,
  input: ChangeOwnPasswordInput,
): Promise<IdentityResult> {
  const { actor } = caller;
  if (actor.kind !== 'user') throw refuse('not_a_user', 'Only a user has a password to change.');
  const passwordHash = await hashNewPassword(deps.hasher, input.newPassword, 'newPassword');
  const user = await loadUser(deps, actor.userId);
  if (!(await deps.hasher.verify(input.currentPassword, user.passwordHash))) {
    throw refuse('wrong_password', 'This is not your current password.', 'currentPassword');
  }
  const result = await changeUser(deps, caller, actor.userId, { type: 'ChangePassword', passwordHash }, null);
  return { userId: actor.userId, position: result.position };
}
