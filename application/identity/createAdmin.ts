import { type Registered, registerUser } from './registration.ts';
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
  const email = input.email.trim();
  const name = input.name ?? email.slice(0, Math.max(0, email.indexOf('@'))).slice(0, 100);
  return registerUser(
    deps,
    { actor: { kind: 'system' }, source: 'cli' },
    { email, name, password: input.password, permissions: [], projectIds: [] },
    'first-is-root',
  );
}
