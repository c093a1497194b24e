/**
 * Navigation as data (shadcn-admin's sidebar-data): labels are i18n keys, `visible` says who sees the entry.
 * Project entries of optional modules come from app/modules.ts instead, filtered by what the project enabled.
 */
import type { LinkProps } from '@tanstack/react-router';
import type { ParseKeys } from 'i18next';
import type { LucideIcon } from 'lucide-react';
import { House } from 'lucide-react';
import type { User } from '@/api/types';

export interface NavItem {
  to: LinkProps['to'];
  label: ParseKeys;
  icon: LucideIcon;
  visible?: (user: User) => boolean;
  /** Active only on this exact path (home), not on everything below it. */
  exact?: boolean;
}

export const generalNav: NavItem[] = [{ to: '/', label: 'shell.nav.home', icon: House, exact: true }];

/** A page of the current project (`params: { projectId }`); `manage`: owners and global admins only. */
export interface ProjectNavItem {
  to: LinkProps['to'];
  label: ParseKeys;
  icon: LucideIcon;
  manage?: boolean;
  exact?: boolean;
}

export const projectNav: ProjectNavItem[] = [];
