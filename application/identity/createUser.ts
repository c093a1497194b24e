import type { AssignableRole } from '../../domain/user.ts';
import type { Caller } from '../context.ts';
import { assertCanCreateUser, assertKnownPermissions } from './authorization.ts';
import { type Registered, registerUser } from './registration.ts';
import { assertProjectsExist, type ProjectGrantDeps } from './userCommands.ts';

export interface CreateUserInput {
  email: string;
  name: string;
  password: string;
  role?: AssignableRole;
  permissions?: readonly string[];
  projectIds?: readonly string[];
}

/**
 * `POST /users`: a user with permissions and listed projects, or (by a global admin) a global admin. Every
 * listed project must exist: nothing is recorded otherwise.
 */
export async function createUser(
  deps: ProjectGrantDeps,
  caller: Caller,
  input: CreateUserInput,
): Promise<Registered> {
  const role = input.role ?? 'user';
  const permissions = input.permissions ?? [];
  const projectIds = input.projectIds ?? [];
  assertKnownPermissions(permissions);
  assertCanCreateUser(caller.actor, { role, permissions, projectIds });
  await assertProjectsExist(deps, projectIds, (i) => `projectIds.${i}`);
  return registerUser(
    deps,
    caller,
    { email: input.email, name: input.name, password: input.password, permissions, projectIds },
    role,
  );
}
