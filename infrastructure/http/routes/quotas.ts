import { z } from 'zod';
import { projectUsage, setProjectQuotas } from '../../../application/projects/quotas.ts';
import { MAX_QUOTA } from '../../../domain/projectQuotas.ts';
import { atLeastOne, BEARER_SECURITY, type HttpRoutes, originOf, problems } from '../routeKit.ts';
import { ProjectIdParams } from './projectSchemas.ts';
import type { WorkerRouteDeps } from './workerSchemas.ts';

const Meter = z.object({ used: z.number(), quota: z.number() });
const QuotaValue = z
  .number()
  .int('must be a whole number')
  .min(0)
  .max(MAX_QUOTA)
  .nullable()
  .meta({ description: "`null`: back to the installation's default" });
const Overrides = z.object({
  documents: QuotaValue,
  documentBytes: QuotaValue,
  logBytes: QuotaValue,
});

export const UsageSchema = z.object({
  documents: Meter.meta({ description: "Documents of the project's workers (`m3m.models`)" }),
  documentBytes: Meter.meta({ description: 'Their size as UTF-8 JSON' }),
  logBytes: Meter.meta({ description: 'Log lines kept with its invocation records, as UTF-8 JSON' }),
  overrides: Overrides.meta({ description: "The project's own quotas, set by a global admin" }),
});

/**
 * A project's storage against its quotas (issue 12, item 5): `GET /projects/:id/usage` for whoever sees the
 * project, `PUT /admin/projects/:id/quotas` for global admins.
 */
export function quotaRoutes(deps: WorkerRouteDeps): HttpRoutes {
  const { auth } = deps;
  return (app) => {
    app.addHook('onRequest', auth.authenticate);

    app.get(
      '/projects/:id/usage',
      {
        schema: {
          operationId: 'getProjectUsage',
          tags: ['projects'],
          summary: 'What the project stores against its quotas: worker documents, their bytes, log bytes',
          description:
            "Quotas are the installation's (`M3M_QUOTA_DOCUMENTS`, `M3M_QUOTA_DOCUMENT_BYTES`, `M3M_QUOTA_LOG_BYTES`) unless a global admin set the project's own. A worker write past a quota throws `QuotaExceededError`; log lines past the log quota are not kept.",
          security: BEARER_SECURITY,
          params: ProjectIdParams,
          response: { 200: UsageSchema, ...problems(400, 401, 404) },
        },
      },
      async (request) =>
        projectUsage(deps.app, deps.app.settings.quotas, auth.actorOf(request), request.params.id),
    );
  };
}

export function adminQuotaRoutes(deps: WorkerRouteDeps): HttpRoutes {
  const { auth } = deps;
  return (app) => {
    app.addHook('onRequest', auth.authenticate);
    app.addHook('onRequest', auth.requireGlobalAdmin);

    app.put(
      '/admin/projects/:id/quotas',
      {
        schema: {
          operationId: 'setProjectQuotas',
          tags: ['admin'],
          summary: "Set a project's own quotas over the installation's defaults",
          description:
            "Only the quotas named change; `null` puts one back to the installation's default. Answers the project's usage with the quotas now in force.",
          security: BEARER_SECURITY,
          params: ProjectIdParams,
          body: atLeastOne(Overrides.partial().strict()),
          response: { 200: UsageSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const actor = auth.actorOf(request);
        const { position } = await setProjectQuotas(
          deps.app,
          actor,
          request.params.id,
          request.body,
          originOf(request),
        );
        await deps.waitFor(position);
        return projectUsage(deps.app, deps.app.settings.quotas, actor, request.params.id);
      },
    );
  };
}
