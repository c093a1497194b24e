/** Permissions a user can hold. Global admins and the root hold all of them implicitly. */
export const PERMISSIONS = ['create_projects', 'manage_users'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export type Role = 'root' | 'admin' | 'user';

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
