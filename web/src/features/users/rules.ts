/**
 * What the caller may do to a user, mirroring the API's rules (application/identity/authorization.ts) so the UI
 * does not offer what the API would refuse, and says why. The API stays the judge.
 */
import type { Permission, User } from '@/api/types';
import { hasPermission, isGlobalAdmin } from '@/features/auth/queries';

export type UserAction = 'edit' | 'block' | 'delete' | 'password' | 'projects';

/** `null` when allowed, else the i18n key of the reason. */
export type Refusal =
  | 'users.why.root'
  | 'users.why.rootOnly'
  | 'users.why.adminOnly'
  | 'users.why.self'
  | 'users.why.selfPassword'
  | 'users.why.noManageUsers'
  | null;

export function whyNot(me: User | undefined, target: User, action: UserAction): Refusal {
  if (!me || !hasPermission(me, 'manage_users')) return 'users.why.noManageUsers';
  const self = me.id === target.id;
  if (target.role === 'root' && action === 'delete') return 'users.why.root';
  if (target.role === 'root' && me.role !== 'root') return 'users.why.rootOnly';
  if (target.role === 'admin' && !isGlobalAdmin(me)) return 'users.why.adminOnly';
  if (self && (action === 'block' || action === 'delete')) return 'users.why.self';
  if (action === 'password') {
    if (!isGlobalAdmin(me)) return 'users.why.adminOnly';
    if (self) return 'users.why.selfPassword';
  }
  return null;
}

/** A permission the caller does not hold cannot be granted or taken away by them. */
export function mayGrant(me: User | undefined, permission: Permission): boolean {
  return hasPermission(me, permission);
}

/** Nobody changes their own role or permissions. */
export function mayChangeAccessOf(me: User | undefined, target: User): boolean {
  return !!me && me.id !== target.id && whyNot(me, target, 'edit') === null;
}
