/**
 * The UI's module config (DESIGN §5, §8): each entry's `id` is a catalogue `code`. The sidebar lists an entry's
 * pages only in projects where the module is enabled and for callers with the permission; the route guard
 * (app/guards.ts) sends a direct visit to a disabled module's page to the Modules page instead.
 */
import type { ProjectAccess } from '@/features/projects/access';

export type ModulePermission = 'member' | 'manager';

export interface ModuleRoute {
  /** Under `/projects/$projectId/`. */
  path: string;
  /** i18n key of the sidebar label. */
  label: 'goals.nav' | 'webhooks.nav';
  icon: 'target' | 'webhook';
}

export interface ModuleConfig {
  id: string;
  basePath: string;
  routes: readonly ModuleRoute[];
  permission: ModulePermission;
}

export const MODULES: readonly ModuleConfig[] = [
  {
    id: 'goals',
    basePath: 'goals',
    routes: [{ path: 'goals', label: 'goals.nav', icon: 'target' }],
    permission: 'member',
  },
  {
    id: 'webhooks',
    basePath: 'webhooks',
    routes: [{ path: 'webhooks', label: 'webhooks.nav', icon: 'webhook' }],
    permission: 'manager',
  },
];

export function mayUse(permission: ModulePermission, access: ProjectAccess): boolean {
  return permission === 'member' || access === 'owner' || access === 'admin';
}

/** The entries to show in a project: enabled there (core ones always are) and allowed for the caller. */
export function visibleModules(
  modules: readonly ModuleConfig[],
  enabledCodes: ReadonlySet<string>,
  access: ProjectAccess,
): ModuleConfig[] {
  return modules.filter((m) => enabledCodes.has(m.id) && mayUse(m.permission, access));
}

/** The module a project-relative path (`webhooks`, `goals/abc`) belongs to, if any. */
export function moduleOfPath(modules: readonly ModuleConfig[], relativePath: string): ModuleConfig | null {
  const first = relativePath.replace(/^\/+/, '').split('/')[0] ?? '';
  return modules.find((m) => m.basePath === first) ?? null;
}
