import type { Actor } from '../context.ts';
import { refuse } from '../errors.ts';
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
  try {
    return await directory.list(options);
  } catch (error) {
    // The store refuses a cursor it did not make (or made for another sort) with a plain error.
    if (options.cursor && error instanceof Error && /cursor/i.test(error.message)) {
      throw refuse(
        'invalid_cursor',
        'This cursor is not valid: use the nextCursor of a previous page.',
        'cursor',
      );
    }
    throw error;
  }
}
