import type { UserRole } from '../../domain/user.ts';

/** Permissions a user can hold. Global admins and the root hold all of them implicitly. */
export const PERMISSIONS = ['create_projects', 'manage_users'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** `root`: the first admin, undeletable, changed only by themselves. `admin`: a global admin. `user`: permissions + listed projects. */
export type Role = UserRole;

/**
 * The authenticated caller of a command or query, as resolved from a token, an API key or the CLI.
 * Application services decide authorization from this alone.
 */
export type Actor =
  | {
      kind: 'user';
      userId: string;
      role: Role;
      permissions: readonly Permission[];
      /** Projects this user was granted explicitly (ownership and membership come from the projects). */
      projectIds: readonly string[];
    }
  /** The CLI run by whoever has access to the server's data: it acts as the system. */
  | { kind: 'system' };

export function isGlobalAdmin(actor: Actor): boolean {
  return actor.kind === 'system' || actor.role === 'root' || actor.role === 'admin';
}

export function hasPermission(actor: Actor, permission: Permission): boolean {
  return isGlobalAdmin(actor) || (actor.kind === 'user' && actor.permissions.includes(permission));
}

/** `actorId` for event metadata. */
export function actorId(actor: Actor): string | null {
  return actor.kind === 'user' ? actor.userId : null;
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** What a user with this role and these granted permissions may do: global admins hold every permission. */
export function effectivePermissions(role: Role, permissions: readonly string[]): Permission[] {
  if (role === 'root' || role === 'admin') return [...PERMISSIONS];
  return permissions.filter(isPermission);
}
