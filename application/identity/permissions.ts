import type { UserRole } from '../../domain/user.ts';

/** Permissions a user can hold. Global admins and the root hold all of them implicitly. */
export const PERMISSIONS = ['create_projects', 'manage_users'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** `root`: the first admin, undeletable, changed only by themselves. `admin`: a global admin. `user`: permissions + listed projects. */
export type Role = UserRole;

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** What a user with this role and these granted permissions may do: global admins hold every permission. */
export function effectivePermissions(role: Role, permissions: readonly string[]): Permission[] {
  if (role === 'root' || role === 'admin') return [...PERMISSIONS];
  return permissions.filter(isPermission);
}
