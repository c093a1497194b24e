import type { Actor } from '../context.ts';
import { refusals, refuse } from '../errors.ts';
import type { Page } from '../ports/readStore.ts';
import { assertCanManageUsers } from './authorization.ts';
import type { UserDirectory, UserView } from './userDirectory.ts';

export async function getUser(directory: UserDirectory, actor: Actor, userId: string): Promise<UserView> {
  assertCanManageUsers(actor);
  const user = await directory.get(userId);
  if (!user) throw refuse('user_not_found', 'There is no such user.');
  return user;
}

export async function listUsers(
  directory: UserDirectory,
  actor: Actor,
  options: { cursor?: string | undefined; limit?: number | undefined },
): Promise<Page<UserView>> {
  assertCanManageUsers(actor);
  return refusals(() => directory.list(options));
}
