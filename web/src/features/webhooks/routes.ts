import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { requireModule } from '@/app/guards';
import { projectRoute } from '@/features/projects/routes';

export const webhooksRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'webhooks',
  beforeLoad: requireModule('webhooks'),
  component: lazyRouteComponent(() => import('./webhooks-page'), 'WebhooksPage'),
});

/** Under `/projects/$projectId`, behind the module guard. */
export const webhookRoutes = [webhooksRoute];
