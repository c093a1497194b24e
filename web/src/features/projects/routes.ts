import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '@/app/routes';

/** `/projects/$projectId/…`: every project page; areas (goals, environment, modules…) add theirs below it. */
export const projectRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'projects/$projectId',
});

export const projectOverviewRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: '/',
  component: lazyRouteComponent(() => import('./project-overview-page'), 'ProjectOverviewPage'),
});

export const projectSettingsRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'settings',
  component: lazyRouteComponent(() => import('./project-settings-page'), 'ProjectSettingsPage'),
});

export const projectRoutes = [projectOverviewRoute, projectSettingsRoute];
