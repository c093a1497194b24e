import type { Caller } from '../context.ts';
import { assertCanChangeUser } from './authorization.ts';
import {
  assertProjectsExist,
  changeUser,
  type IdentityDeps,
  type IdentityResult,
  loadUser,
  type ProjectGrantDeps,
} from './userCommands.ts';

/**
 * Gives a user access to a project: who may is checked first (and again at append), then that the project
 * exists (404 `project_not_found` naming it otherwise), so a refused grant records nothing.
 */
export async function grantProjectAccess(
  deps: ProjectGrantDeps,
  caller: Caller,
  userId: string,
  projectId: string,
): Promise<IdentityResult> {
  const change = { kind: 'grant_project' as const, projectId };
  assertCanChangeUser(caller.actor, await loadUser(deps, userId), change);
  await assertProjectsExist(deps, [projectId], () => 'projectId');
  const result = await changeUser(
    deps,
    caller,
    userId,
    { type: 'GrantProjectAccess', projectId },
    { kind: 'grant_project', projectId },
  );
  return { userId, position: result.position };
}

export async function revokeProjectAccess(
  deps: IdentityDeps,
  caller: Caller,
  userId: string,
  projectId: string,
): Promise<IdentityResult> {
  const result = await changeUser(
    deps,
    caller,
    userId,
    { type: 'RevokeProjectAccess', projectId },
    { kind: 'revoke_project', projectId },
  );
  return { userId, position: result.position };
}
