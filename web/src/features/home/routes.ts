import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '@/app/routes';

export const homeRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/',
  component: lazyRouteComponent(() => import('./home-page'), 'HomePage'),
});

export const homeRoutes = [homeRoute];
