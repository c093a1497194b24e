import type { Caller } from '../context.ts';
import { changeUser, type IdentityDeps, type IdentityResult } from './userCommands.ts';

export async function grantProjectAccess(
  deps: IdentityDeps,
  caller: Caller,
  userId: string,
  projectId: string,
): Promise<IdentityResult> {
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
