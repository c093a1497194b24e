/** How the caller relates to a project, as `GET /projects` says: admins and owners manage it. */
export type ProjectAccess = 'admin' | 'owner' | 'member' | 'granted';

export function canManage(access: ProjectAccess | undefined): boolean {
  return access === 'admin' || access === 'owner';
}
