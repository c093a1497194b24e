import { z } from 'zod';
import { CronError, parseCron } from '../../../application/runtime/cron.ts';
import { BUILT_IN_EVENT_TYPES } from '../../../application/runtime/customEvents.ts';
import { listWorkers } from '../../../application/workers/queries.ts';
import { validationFailed } from '../problem.ts';
import { BEARER_SECURITY, type HttpRoutes, problems } from '../routeKit.ts';
import { ProjectIdParams } from './projectSchemas.ts';
import type { WorkerRouteDeps } from './workerSchemas.ts';

const tags = ['workers'];
const security = BEARER_SECURITY;
const PREVIEW_RUNS = 5;

/**
 * What the worker page's trigger editor asks while a person types: the next runs of a cron expression (with the
 * scheduler's own parser, so the preview and the schedule never disagree) and the event types a worker may
 * listen to (m3m's own and the custom ones the project's workers already use).
 */
export function triggerHelpRoutes(deps: WorkerRouteDeps): HttpRoutes {
  const { auth } = deps;
  return (app) => {
    app.addHook('onRequest', auth.authenticate);

    app.get(
      '/cron/preview',
      {
        schema: {
          operationId: 'previewCron',
          tags,
          summary: 'The next five runs (UTC) of a cron expression, or why it cannot be read',
          description:
            'The same parser the scheduler uses: five fields (minute hour day-of-month month day-of-week) or a macro (`@daily`…), in UTC. A wrong expression is a 400 `validation_failed` naming `querystring.expression` with the code `invalid_cron`.',
          security,
          querystring: z.object({ expression: z.string().max(200) }).strict(),
          response: {
            200: z.object({ expression: z.string(), next: z.array(z.string()) }),
            ...problems(400, 401),
          },
        },
      },
      async (request) => {
        const { expression } = request.query;
        try {
          const schedule = parseCron(expression);
          const next: string[] = [];
          let after = new Date();
          for (let i = 0; i < PREVIEW_RUNS; i++) {
            const at = schedule.next(after);
            if (!at) break;
            next.push(at.toISOString());
            after = at;
          }
          return { expression: schedule.expression, next };
        } catch (error) {
          if (!(error instanceof CronError)) throw error;
          throw validationFailed(
            [{ field: 'querystring.expression', code: 'invalid_cron', message: error.message }],
            error.message,
          );
        }
      },
    );

    app.get(
      '/projects/:id/event-types',
      {
        schema: {
          operationId: 'listEventTypes',
          tags,
          summary: "The event types a worker may listen to: m3m's own and the project's custom ones",
          description:
            "`custom`: the types the project's workers already listen to that are not m3m's own (a worker may listen to any type `m3m.events.emit` can send).",
          security,
          params: ProjectIdParams,
          response: {
            200: z.object({ builtIn: z.array(z.string()), custom: z.array(z.string()) }),
            ...problems(400, 401, 404),
          },
        },
      },
      async (request) => {
        const workers = await listWorkers(deps.app, auth.actorOf(request), request.params.id);
        const custom = new Set<string>();
        for (const w of workers) {
          for (const type of w.triggers.events) if (!BUILT_IN_EVENT_TYPES.has(type)) custom.add(type);
        }
        return { builtIn: [...BUILT_IN_EVENT_TYPES].sort(), custom: [...custom].sort() };
      },
    );
  };
}
