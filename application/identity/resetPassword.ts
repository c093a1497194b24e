import type { Caller } from '../context.ts';
import { changeUser, hashNewPassword, type IdentityDeps, type IdentityResult } from './userCommands.ts';

/** `POST /admin/users/:id/password`: a global admin sets someone's password (the root's only by the root). */
export async function resetPassword(
  deps: IdentityDeps,
  caller: Caller,
  userId: string,
  password: string,
): Promise<IdentityResult> {
  const passwordHash = await hashNewPassword(deps.hasher, password, 'password');
  const result = await changeUser(
    deps,
    caller,
    userId,
    { type: 'ChangePassword', passwordHash },
    { kind: 'reset_password' },
  );
  return { userId, position: result.position };
}
