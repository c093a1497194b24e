import type { Actor } from '../context.ts';
import { refuse } from '../errors.ts';
import type { TokenService } from '../ports/tokenService.ts';
import { isPermission } from './permissions.ts';
import type { UserDirectory, UserView } from './userDirectory.ts';

export interface AuthenticateDeps {
  directory: UserDirectory;
  tokens: TokenService;
}

/**
 * A bearer token → the acting user, as they are now: role, permissions and projects come from the read model,
 * not the token, so a change applies to the very next request. A token is refused when it does not verify,
 * when its user is gone or blocked, or when the user's session version moved on (password changed, blocked).
 */
export async function authenticate(
  deps: AuthenticateDeps,
  token: string,
): Promise<{ actor: Actor & { kind: 'user' }; user: UserView }> {
  const claims = deps.tokens.verify(token);
  const user = claims ? await deps.directory.get(claims.userId) : null;
  if (!claims || !user || user.blocked || user.sessionVersion !== claims.sessionVersion) {
    throw refuse('invalid_token', 'The token is invalid or expired; log in again.');
  }
  return { actor: actorOf(user), user };
}

export function actorOf(user: UserView): Actor & { kind: 'user' } {
  return {
    kind: 'user',
    userId: user.id,
    role: user.role,
    permissions: user.permissions.filter(isPermission),
    projectIds: user.projectIds,
  };
}
