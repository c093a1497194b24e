import { nameProblem } from '../../domain/user.ts';
import type { Caller } from '../context.ts';
import { refuse } from '../errors.ts';
import { changeUser, type IdentityDeps, type IdentityResult } from './userCommands.ts';

/** Self-service: `PATCH /me`. */
export async function updateProfile(
  deps: IdentityDeps,
  caller: Caller,
  input: { name: string },
): Promise<IdentityResult> {
  const { actor } = caller;
  if (actor.kind !== 'user') throw refuse('not_a_user', 'Only a user has a profile.');
  const problem = nameProblem(input.name);
  if (problem) throw refuse('invalid_name', `The name ${problem}.`, 'name');
  const result = await changeUser(deps, caller, actor.userId, { type: 'UpdateUser', name: input.name }, null);
  return { userId: actor.userId, position: result.position };
}
