import type { QueryClient } from '@tanstack/react-query';
import { createRouter } from '@tanstack/react-router';
import { auditRoutes, projectAuditRoutes } from '@/features/audit/routes';
import { authRoutes } from '@/features/auth/routes';
import { dataRoutes } from '@/features/collections/routes';
import { environmentRoutes } from '@/features/environment/routes';
import { goalRoutes, projectGoalRoutes } from '@/features/goals/routes';
import { homeRoutes } from '@/features/home/routes';
import { moduleRoutes, projectModuleRoutes } from '@/features/modules/routes';
import { profileRoutes } from '@/features/profile/routes';
import { projectRoute, projectRoutes } from '@/features/projects/routes';
import { userRoutes } from '@/features/users/routes';
import { webhookRoutes } from '@/features/webhooks/routes';
import { workerRoutes } from '@/features/workers/routes';
import { appRoute, rootRoute } from './routes';

// One line per area: each area owns its routes (features/<area>/routes.ts).
const routeTree = rootRoute.addChildren([
  ...authRoutes,
  appRoute.addChildren([
    ...homeRoutes,
    ...profileRoutes,
    ...goalRoutes,
    ...userRoutes,
    ...moduleRoutes,
    ...auditRoutes,
    projectRoute.addChildren([
      ...projectRoutes,
      ...projectGoalRoutes,
      ...environmentRoutes,
      ...projectModuleRoutes,
      ...webhookRoutes,
      ...workerRoutes,
      ...dataRoutes,
      ...projectAuditRoutes,
    ]),
  ]),
]);

export function createAppRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: 'intent',
    // TanStack Query owns server state; the router only decides what to show.
    defaultPreloadStaleTime: 0,
    scrollRestoration: true,
  });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
