import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { projectRoute } from '@/features/projects/routes';

/** The worker page's tabs; the open one lives in the URL (`?tab=logs`), so a link opens the same view. */
export const WORKER_TABS = ['code', 'triggers', 'run', 'logs', 'stats', 'versions', 'dry-run'] as const;
export type WorkerTab = (typeof WORKER_TABS)[number];

export interface WorkerSearch {
  tab?: WorkerTab;
}

export function validateWorkerSearch(search: Record<string, unknown>): WorkerSearch {
  const tab = WORKER_TABS.find((t) => t === search.tab);
  return tab && tab !== 'code' ? { tab } : {};
}

export const workersRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'workers',
  component: lazyRouteComponent(() => import('./workers-page'), 'WorkersPage'),
});

export const workerRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'workers/$workerId',
  validateSearch: validateWorkerSearch,
  component: lazyRouteComponent(() => import('./worker-page'), 'WorkerPage'),
});

export const invocationRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'workers/$workerId/invocations/$invocationId',
  component: lazyRouteComponent(() => import('./invocation-page'), 'InvocationPage'),
});

/** Under `/projects/$projectId`. */
export const workerRoutes = [workersRoute, workerRoute, invocationRoute];
