import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { requireModule } from '@/app/guards';
import { projectRoute } from '@/features/projects/routes';

export const webhooksRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'webhooks',
  beforeLoad: requireModule('webhooks'),
  component: lazyRouteComponent(() => import('./webhooks-page'), 'WebhooksPage'),
});

export const webhookRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'webhooks/$webhookId',
  beforeLoad: (ctx) => requireModule('webhooks')(ctx),
  component: lazyRouteComponent(() => import('./webhook-page'), 'WebhookPage'),
});

/** Under `/projects/$projectId`, behind the module guard. */
export const webhookRoutes = [webhooksRoute, webhookRoute];
