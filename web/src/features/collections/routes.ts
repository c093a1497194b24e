import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { projectRoute } from '@/features/projects/routes';

export const collectionsRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'data',
  component: lazyRouteComponent(() => import('./collections-page'), 'CollectionsPage'),
});

export const collectionRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'data/$collection',
  component: lazyRouteComponent(() => import('./collection-page'), 'CollectionPage'),
});

/** Under `/projects/$projectId`. */
export const dataRoutes = [collectionsRoute, collectionRoute];
