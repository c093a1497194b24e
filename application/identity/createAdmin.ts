import { passwordProblem } from '../../domain/password.ts';
import { refuse } from '../errors.ts';
import { checkNewUser, type Registered, registerUser } from './registration.ts';
import type { IdentityDeps } from './userCommands.ts';

export interface NewAdmin {
  email: string;
  password: string;
  /** Defaults to the local part of the email. */
  name?: string;
}

/**
 * `m3m new-admin`: on an empty system the first admin becomes the root, every later one a global admin. It only
 * appends events, so it is safe while a server runs on the same stores: the reservations and the root stream
 * decide races, and the server's projections pick the new admin up.
 */
export function createAdmin(deps: IdentityDeps, input: NewAdmin): Promise<Registered> {
  const { email, name } = adminNames(input);
  return registerUser(
    deps,
    { actor: { kind: 'system' }, source: 'cli' },
    { email, name, password: input.password, permissions: [], projectIds: [] },
    'first-is-root',
  );
}

/**
 * Refuses what can be refused without any store (email, name, password rule), the way `createAdmin` would:
 * the CLI checks first, so a bad input opens nothing and leaves no data directory behind.
 */
export function checkNewAdmin(input: NewAdmin): void {
  checkNewUser(adminNames(input));
  const problem = passwordProblem(input.password);
  if (problem) throw refuse('weak_password', `The password ${problem}.`, 'password');
}

function adminNames(input: NewAdmin): { email: string; name: string } {
  const email = input.email.trim();
  return { email, name: input.name ?? email.slice(0, Math.max(0, email.indexOf('@'))).slice(0, 100) };
}
