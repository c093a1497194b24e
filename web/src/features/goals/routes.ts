import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '@/app/routes';
import { projectRoute } from '@/features/projects/routes';
import { validateGoalSearch } from './goal-search';

export const projectGoalsRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'goals',
  component: lazyRouteComponent(() => import('./project-goals-page'), 'ProjectGoalsPage'),
});

export const projectGoalRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'goals/$goalId',
  validateSearch: validateGoalSearch,
  component: lazyRouteComponent(() => import('./goal-routes-pages'), 'ProjectGoalPage'),
});

export const globalGoalsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'goals',
  component: lazyRouteComponent(() => import('./global-goals-page'), 'GlobalGoalsPage'),
});

export const globalGoalRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'goals/$goalId',
  validateSearch: validateGoalSearch,
  component: lazyRouteComponent(() => import('./goal-routes-pages'), 'GlobalGoalPage'),
});

/** Under the signed-in shell. */
export const goalRoutes = [globalGoalsRoute, globalGoalRoute];
/** Under `/projects/$projectId`. */
export const projectGoalRoutes = [projectGoalsRoute, projectGoalRoute];
