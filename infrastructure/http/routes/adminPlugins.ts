import { z } from 'zod';
import type { PluginsStatus } from '../../plugins/pluginLoader.ts';
import type { HttpAuth } from '../auth.ts';
import { BEARER_SECURITY, type HttpRoutes, problems } from '../routeKit.ts';

const PluginsStatusSchema = z.object({
  loaded: z.array(
    z.object({
      name: z.string(),
      origin: z.enum(['built-in', 'directory']),
      path: z.string(),
      moduleCode: z.string(),
      functions: z.array(z.string()),
    }),
  ),
  broken: z.array(z.object({ name: z.string(), path: z.string(), error: z.string() })),
});

/**
 * `GET /api/v1/admin/plugins`: where each plugin was loaded from and why a broken one failed. Global admins
 * only: the unauthenticated `/health` lists plugins by name, never the server's paths.
 */
export function adminPluginRoutes(deps: { auth: HttpAuth; plugins: () => PluginsStatus }): HttpRoutes {
  return (app) => {
    app.addHook('onRequest', deps.auth.authenticate);
    app.addHook('onRequest', deps.auth.requireGlobalAdmin);
    app.get(
      '/admin/plugins',
      {
        schema: {
          operationId: 'listPlugins',
          tags: ['admin'],
          summary: 'The plugins loaded and the broken ones, with their folders and errors',
          security: BEARER_SECURITY,
          response: { 200: PluginsStatusSchema, ...problems(401, 403) },
        },
      },
      async () => deps.plugins(),
    );
  };
}
