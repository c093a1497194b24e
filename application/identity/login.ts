import { normalizeEmail } from '../../domain/email.ts';
import { refuse } from '../errors.ts';
import type { PasswordHasher } from '../ports/passwordHasher.ts';
import type { IssuedToken, TokenService } from '../ports/tokenService.ts';
import type { UserDirectory, UserView } from './userDirectory.ts';

export interface LoginDeps {
  directory: UserDirectory;
  hasher: PasswordHasher;
  tokens: TokenService;
}

export const INVALID_CREDENTIALS = 'The email or the password is wrong.';

/**
 * Email + password → a bearer token. An unknown email costs the same bcrypt comparison as a known one and
 * gets the same answer, so neither the message nor the timing tells whether an address is registered.
 */
export async function login(
  deps: LoginDeps,
  input: { email: string; password: string },
): Promise<IssuedToken & { user: UserView }> {
  const user = await deps.directory.byEmail(normalizeEmail(input.email));
  const hash = user ? await deps.directory.passwordHash(user.id) : null;
  const matches = await deps.hasher.verify(input.password, hash);
  if (!user || !matches) throw refuse('invalid_credentials', INVALID_CREDENTIALS);
  if (user.blocked) throw refuse('account_blocked', 'This account is blocked.');
  return { ...deps.tokens.issue({ userId: user.id, sessionVersion: user.sessionVersion }), user };
}
