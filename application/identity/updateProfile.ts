import { nameProblem } from '../../domain/user.ts';
import type { Caller } from '../context.ts';
import { accessDenied, invalidInput } from '../errors.ts';
import { changeUser, type IdentityDeps, type IdentityResult } from './userCommands.ts';

/** Self-service: `PATCH /me`. */
export async function updateProfile(
  deps: IdentityDeps,
  caller: Caller,
  input: { name: string },
): Promise<IdentityResult> {
  const { actor } = caller;
  if (actor.kind !== 'user') throw accessDenied('Only a user has a profile.');
  const problem = nameProblem(input.name);
  if (problem) throw invalidInput('name', `The name ${problem}.`);
  const result = await changeUser(deps, caller, actor.userId, { type: 'UpdateUser', name: input.name }, null);
  return { userId: actor.userId, position: result.position };
}
