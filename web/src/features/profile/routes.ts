import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '@/app/routes';

export const profileRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'profile',
  component: lazyRouteComponent(() => import('./profile-page'), 'ProfilePage'),
});

export const profileRoutes = [profileRoute];
