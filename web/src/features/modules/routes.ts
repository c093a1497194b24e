import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '@/app/routes';
import { projectRoute } from '@/features/projects/routes';

export const modulesRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'modules',
  validateSearch: (search: Record<string, unknown>): { blocked?: string } =>
    typeof search.blocked === 'string' ? { blocked: search.blocked } : {},
  component: lazyRouteComponent(() => import('./modules-page'), 'ModulesPage'),
});

export const moduleActivationRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'module-activation/$moduleCode',
  validateSearch: (search: Record<string, unknown>): { project?: string } =>
    typeof search.project === 'string' ? { project: search.project } : {},
  component: lazyRouteComponent(() => import('./module-activation-page'), 'ModuleActivationPage'),
});

export const moduleRoutes = [moduleActivationRoute];
/** Under `/projects/$projectId`. */
export const projectModuleRoutes = [modulesRoute];
