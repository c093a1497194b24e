import type { QueryClient } from '@tanstack/react-query';
import { createRoute, lazyRouteComponent, redirect } from '@tanstack/react-router';
import { appRoute } from '@/app/routes';
import { isGlobalAdmin, meQuery } from '@/features/auth/queries';
import { projectRoute } from '@/features/projects/routes';
import { validateAuditSearch } from './search';

async function requireGlobalAdmin({ context }: { context: { queryClient: QueryClient } }) {
  if (!isGlobalAdmin(await context.queryClient.ensureQueryData(meQuery))) throw redirect({ to: '/' });
}

/** Global admins: every event. */
export const adminAuditRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'audit',
  validateSearch: validateAuditSearch,
  beforeLoad: (ctx) => requireGlobalAdmin(ctx),
  component: lazyRouteComponent(() => import('./audit-page'), 'AdminAuditPage'),
});

/** Time travel: an entity as it was at a position or time (global admins). */
export const auditStateRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'audit/state',
  validateSearch: (search: Record<string, unknown>): { stream?: string; at?: string } => ({
    ...(typeof search.stream === 'string' && search.stream ? { stream: search.stream.slice(0, 300) } : {}),
    ...(typeof search.at === 'string' || typeof search.at === 'number'
      ? { at: String(search.at).slice(0, 40) }
      : {}),
  }),
  beforeLoad: (ctx) => requireGlobalAdmin(ctx),
  component: lazyRouteComponent(() => import('./state-page'), 'AuditStatePage'),
});

export const auditRoutes = [adminAuditRoute, auditStateRoute];

/** A project's owner (and global admins): that project's events. The API answers 403 to members. */
export const projectAuditRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'audit',
  validateSearch: validateAuditSearch,
  component: lazyRouteComponent(() => import('./audit-page'), 'ProjectAuditPage'),
});

export const projectAuditRoutes = [projectAuditRoute];
