import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '@/app/routes';

export const usersRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'users',
  // The search box lives in the URL: a filtered list can be linked and survives a reload.
  validateSearch: (search: Record<string, unknown>): { q?: string } =>
    typeof search.q === 'string' && search.q ? { q: search.q } : {},
  component: lazyRouteComponent(() => import('./users-page'), 'UsersPage'),
});

export const userRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'users/$userId',
  component: lazyRouteComponent(() => import('./user-page'), 'UserPage'),
});

export const userRoutes = [usersRoute, userRoute];
