import { z } from 'zod';
import { listEnvironment } from '../../../application/environment/readEnvironment.ts';
import { deleteVariable, setVariable } from '../../../application/environment/setVariable.ts';
import { ENV_VALUE_MAX_BYTES } from '../../../domain/environment.ts';
import { problem } from '../problem.ts';
import { BEARER_SECURITY, type HttpRoutes, originOf, problems } from '../routeKit.ts';
import {
  EnvNameSchema,
  EnvVariableSchema,
  ProjectIdParams,
  type ProjectRouteDeps,
} from './projectSchemas.ts';

const tags = ['environment'];
const security = BEARER_SECURITY;
const VariableParams = ProjectIdParams.extend({ name: EnvNameSchema });

/**
 * A project's environment for its workers. Secrets are encrypted before they are recorded and never come back
 * through the API: they are listed masked.
 */
export function environmentRoutes(deps: ProjectRouteDeps): HttpRoutes {
  const { auth } = deps;

  return (app) => {
    app.addHook('onRequest', auth.authenticate);

    app.get(
      '/projects/:id/environment',
      {
        schema: {
          operationId: 'listEnvironment',
          tags,
          summary: "The project's variables by name; secrets masked",
          security,
          params: ProjectIdParams,
          response: { 200: z.object({ items: z.array(EnvVariableSchema) }), ...problems(400, 401, 404) },
        },
      },
      async (request) => ({
        items: await listEnvironment(deps.app, auth.actorOf(request), request.params.id),
      }),
    );

    app.put(
      '/projects/:id/environment/:name',
      {
        schema: {
          operationId: 'setEnvironmentVariable',
          tags,
          summary: 'Set a variable (owner or global admin); `secret: true` stores it encrypted, shown masked',
          security,
          params: VariableParams,
          body: z
            .object({
              value: z
                .string()
                .refine(
                  (v) => Buffer.byteLength(v, 'utf8') <= ENV_VALUE_MAX_BYTES,
                  `must be at most ${ENV_VALUE_MAX_BYTES} bytes (UTF-8)`,
                ),
              secret: z.boolean().default(false),
            })
            .strict(),
          response: { 200: EnvVariableSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { id, name } = request.params;
        const actor = auth.actorOf(request);
        const result = await setVariable(
          deps.app,
          actor,
          id,
          { name, value: request.body.value, secret: request.body.secret },
          originOf(request),
        );
        await deps.waitFor(result.position);
        const variable = (await listEnvironment(deps.app, actor, id)).find((v) => v.name === name);
        // Deleted by someone else in the meantime.
        if (!variable) throw problem('env_variable_not_found', `There is no variable ${name}.`);
        return variable;
      },
    );

    app.delete(
      '/projects/:id/environment/:name',
      {
        schema: {
          operationId: 'deleteEnvironmentVariable',
          tags,
          summary: 'Delete a variable (owner or global admin)',
          security,
          params: VariableParams,
          response: { 204: z.void().describe('Deleted'), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id, name } = request.params;
        const result = await deleteVariable(deps.app, auth.actorOf(request), id, name, originOf(request));
        await deps.waitFor(result.position);
        return reply.code(204).send();
      },
    );
  };
}
