import type { AssignableRole } from '../../domain/user.ts';
import { type Actor, hasPermission, isGlobalAdmin } from '../context.ts';
import { refuse } from '../errors.ts';
import { isPermission, type Role } from './permissions.ts';

/**
 * Who may do what to whom, in one place. Each rule throws an `ApplicationError` of kind `forbidden` naming the
 * rule, so a refused caller learns why. The rules:
 *
 * - Managing users (list, create, edit, block, delete, grant) needs `manage_users`.
 * - Only the root changes the root; only global admins change, block or delete a global admin.
 * - Nobody changes their own role or permissions, and nobody blocks or deletes themselves or sets their own
 *   password without the current one (that is `POST /me/password`).
 * - Nobody grants (or takes away) a permission they do not hold; only global admins make or unmake admins.
 * - Someone who is not a global admin grants or revokes access only to projects in their own list.
 */

/** The part of a user the rules look at. */
export interface Target {
  userId: string;
  role: Role;
  permissions: readonly string[];
}

export type UserChange =
  | { kind: 'update'; permissions?: readonly string[]; role?: AssignableRole }
  | { kind: 'block' | 'unblock' | 'delete' | 'reset_password' }
  | { kind: 'grant_project' | 'revoke_project'; projectId: string };

const isSelf = (actor: Actor, target: Target) => actor.kind === 'user' && actor.userId === target.userId;

export function assertCanManageUsers(actor: Actor): void {
  if (!hasPermission(actor, 'manage_users')) {
    throw refuse('missing_permission', 'Managing users needs the manage_users permission.');
  }
}

export function assertCanUseAdminRoutes(actor: Actor): void {
  if (!isGlobalAdmin(actor)) throw refuse('admin_only', 'Only global admins may do this.');
}

export function assertKnownPermissions(permissions: readonly string[], field = 'permissions'): void {
  const unknown = permissions.filter((p) => !isPermission(p));
  if (unknown.length > 0)
    throw refuse('unknown_permission', `Unknown permission: ${unknown.join(', ')}`, field);
}

function assertHolds(actor: Actor, permissions: Iterable<string>): void {
  for (const permission of permissions) {
    if (!isPermission(permission) || !hasPermission(actor, permission)) {
      throw refuse(
        'permission_not_held',
        `You cannot grant or revoke the ${permission} permission: you do not hold it.`,
      );
    }
  }
}

function assertProjectInReach(actor: Actor, projectId: string): void {
  if (isGlobalAdmin(actor)) return;
  if (actor.kind === 'user' && actor.projectIds.includes(projectId)) return;
  throw refuse(
    'project_not_held',
    `You cannot grant or revoke access to project ${projectId}: it is not in your own list.`,
  );
}

export function assertCanCreateUser(
  actor: Actor,
  user: { role: AssignableRole; permissions: readonly string[]; projectIds: readonly string[] },
): void {
  assertCanManageUsers(actor);
  if (user.role === 'admin' && !isGlobalAdmin(actor)) {
    throw refuse('admin_only', 'Only global admins may create global admins.');
  }
  assertHolds(actor, user.permissions);
  for (const projectId of user.projectIds) assertProjectInReach(actor, projectId);
}

export function assertCanChangeUser(actor: Actor, target: Target, change: UserChange): void {
  assertCanManageUsers(actor);
  if (target.role === 'root' && !(actor.kind === 'system' || actor.role === 'root')) {
    throw refuse('root_only', 'Only the root admin may change the root admin.');
  }
  if (target.role === 'admin' && !isGlobalAdmin(actor)) {
    throw refuse('admin_only', 'Only global admins may change a global admin.');
  }
  if (change.kind === 'reset_password') {
    assertCanUseAdminRoutes(actor);
    // Setting a password without knowing the current one is for other people's accounts: one's own goes through
    // POST /me/password, so that a stolen token is not enough to take the account over.
    if (isSelf(actor, target)) {
      throw refuse(
        'self_change',
        'Change your own password with POST /api/v1/me/password: it needs the current one.',
      );
    }
  }
  if (change.kind === 'block' || change.kind === 'delete') {
    if (isSelf(actor, target)) throw refuse('self_change', `You cannot ${change.kind} yourself.`);
  }
  if (change.kind === 'grant_project' || change.kind === 'revoke_project') {
    assertProjectInReach(actor, change.projectId);
  }
  if (change.kind !== 'update') return;
  const roleChanges = change.role !== undefined && change.role !== target.role;
  const before = new Set(target.permissions);
  const after = new Set(change.permissions ?? target.permissions);
  const changed = [...before, ...after].filter((p) => before.has(p) !== after.has(p));
  if ((roleChanges || changed.length > 0) && isSelf(actor, target)) {
    throw refuse('self_change', 'You cannot change your own role or permissions.');
  }
  if (roleChanges && !isGlobalAdmin(actor)) {
    throw refuse('admin_only', 'Only global admins may make or unmake global admins.');
  }
  assertHolds(actor, changed);
}
