/**
 * The two routes every area hangs its pages under: the root (signed in or not) and `app`, the signed-in shell.
 * Areas declare their own routes in features/<area>/routes.ts; app/router.ts assembles the tree.
 */
import type { QueryClient } from '@tanstack/react-query';
import { createRootRouteWithContext, createRoute, Outlet, redirect } from '@tanstack/react-router';
import { session } from '@/api/auth';
import { NotFoundPage } from './not-found-page';
import { AppShell } from './shell/app-shell';

export interface RouterContext {
  queryClient: QueryClient;
}

export const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: NotFoundPage,
});

/** Every page behind sign-in: no session → /sign-in, and back here after it. */
export const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: 'app',
  beforeLoad: ({ location }) => {
    if (!session.get()) {
      throw redirect({ to: '/sign-in', search: { redirect: location.href } });
    }
  },
  component: AppShell,
});

/** `?redirect=` only ever leads back into this app: a path, never another origin. */
export function safeRedirect(target: unknown): string {
  if (typeof target !== 'string' || !target.startsWith('/') || target.startsWith('//')) return '/';
  if (target.startsWith('/sign-in')) return '/';
  return target;
}
