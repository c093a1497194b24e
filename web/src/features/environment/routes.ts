import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { projectRoute } from '@/features/projects/routes';

export const environmentRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'environment',
  component: lazyRouteComponent(() => import('./environment-page'), 'EnvironmentPage'),
});

/** Under `/projects/$projectId`. */
export const environmentRoutes = [environmentRoute];
