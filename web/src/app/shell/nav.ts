/**
 * Navigation as data (shadcn-admin's sidebar-data): labels are i18n keys, `visible` says who sees the entry.
 * Project entries of optional modules come from app/modules.ts instead, filtered by what the project enabled.
 */
import type { LinkProps } from '@tanstack/react-router';
import type { ParseKeys } from 'i18next';
import type { LucideIcon } from 'lucide-react';
import {
  Blocks,
  Code,
  Database,
  Globe,
  House,
  LayoutDashboard,
  ScrollText,
  Settings,
  Users,
  Variable,
} from 'lucide-react';
import type { User } from '@/api/types';
import { hasPermission, isGlobalAdmin } from '@/features/auth/queries';

export interface NavItem {
  to: LinkProps['to'];
  label: ParseKeys;
  icon: LucideIcon;
  visible?: (user: User) => boolean;
  /** Active only on this exact path (home), not on everything below it. */
  exact?: boolean;
}

export const generalNav: NavItem[] = [
  { to: '/', label: 'shell.nav.home', icon: House, exact: true },
  { to: '/goals', label: 'shell.nav.globalGoals', icon: Globe, visible: isGlobalAdmin },
  { to: '/users', label: 'shell.nav.users', icon: Users, visible: (u) => hasPermission(u, 'manage_users') },
  { to: '/audit', label: 'shell.nav.audit', icon: ScrollText, visible: isGlobalAdmin },
];

/** A page of the current project (`params: { projectId }`); `manage`: owners and global admins only. */
export interface ProjectNavItem {
  to: LinkProps['to'];
  label: ParseKeys;
  icon: LucideIcon;
  manage?: boolean;
  exact?: boolean;
}

/** The first entry is followed by the pages of the project's enabled modules (app/modules.ts). */
export const projectNav: ProjectNavItem[] = [
  { to: '/projects/$projectId', label: 'shell.nav.overview', icon: LayoutDashboard, exact: true },
  { to: '/projects/$projectId/workers', label: 'shell.nav.workers', icon: Code },
  { to: '/projects/$projectId/data', label: 'shell.nav.data', icon: Database },
  { to: '/projects/$projectId/environment', label: 'shell.nav.environment', icon: Variable },
  { to: '/projects/$projectId/modules', label: 'shell.nav.modules', icon: Blocks },
  { to: '/projects/$projectId/audit', label: 'shell.nav.audit', icon: ScrollText, manage: true },
  { to: '/projects/$projectId/settings', label: 'shell.nav.settings', icon: Settings, manage: true },
];
