import type { FastifyRequest } from 'fastify';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_STATS_DAYS } from '../../../application/dayRange.ts';
import { defineGoal } from '../../../application/goals/defineGoal.ts';
import { deleteGoal } from '../../../application/goals/deleteGoal.ts';
import { type GoalWriter, incrementGoal } from '../../../application/goals/incrementGoal.ts';
import { getGoal, goalStats, listGlobalGoals, listProjectGoals } from '../../../application/goals/queries.ts';
import { updateGoal } from '../../../application/goals/updateGoal.ts';
import { MAX_INCREMENT } from '../../../domain/goal.ts';
import { projectOfApiKey } from '../apiKeys.ts';
import { requireModule } from '../moduleGuard.ts';
import { problem } from '../problem.ts';
import {
  atLeastOne,
  BEARER_SECURITY,
  type HttpRoutes,
  originOf,
  problems,
  refuseNullBody,
} from '../routeKit.ts';
import {
  ColorSchema,
  DaySchema,
  DescriptionSchema,
  GoalParams,
  GoalSchema,
  GoalSlugSchema,
  GoalStatsSchema,
  GoalTypeSchema,
  IncrementSchema,
  NameSchema,
  ProjectIdParams,
  type ProjectRouteDeps,
} from './projectSchemas.ts';

const tags = ['goals'];
const security = BEARER_SECURITY;

const GoalBody = z.object({
  slug: GoalSlugSchema,
  name: NameSchema,
  type: GoalTypeSchema,
  color: ColorSchema.optional(),
  description: DescriptionSchema.optional(),
});
const ProjectIdsSchema = z.array(z.uuid('must be a project id (a UUID)')).max(1000);

/**
 * Goal definitions and statistics, for signed-in users. The project's goal routes belong to the `goals`
 * module; it is core, so the guard never refuses, but it is declared like any module's routes.
 */
export function goalRoutes(deps: ProjectRouteDeps): HttpRoutes {
  const { auth } = deps;
  const goalsModule = requireModule(deps, 'goals');
  const current = async (request: FastifyRequest, goalId: string, position: number | null) => {
    await deps.waitFor(position);
    return getGoal(deps.app, auth.actorOf(request), goalId);
  };

  return (app) => {
    app.addHook('onRequest', auth.authenticate);

    app.get(
      '/projects/:id/goals',
      {
        preHandler: goalsModule,
        schema: {
          operationId: 'listProjectGoals',
          tags,
          summary: "The project's goals, by name, with their totals",
          security,
          params: ProjectIdParams,
          response: { 200: z.object({ items: z.array(GoalSchema) }), ...problems(400, 401, 404) },
        },
      },
      async (request) => ({
        items: await listProjectGoals(deps.app, auth.actorOf(request), request.params.id),
      }),
    );

    app.post(
      '/projects/:id/goals',
      {
        preHandler: goalsModule,
        schema: {
          operationId: 'createProjectGoal',
          tags,
          summary: 'Define a project goal (owner or global admin); it is addressed as {project-slug}-{slug}',
          security,
          params: ProjectIdParams,
          body: GoalBody.strict(),
          response: { 201: GoalSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const actor = auth.actorOf(request);
        const defined = await defineGoal(deps.app, actor, request.params.id, request.body, originOf(request));
        return reply.code(201).send(await current(request, defined.goalId, defined.position));
      },
    );

    app.get(
      '/goals',
      {
        schema: {
          operationId: 'listGlobalGoals',
          tags,
          summary: 'Global goals: all for global admins, otherwise those that allow one of your projects',
          security,
          response: { 200: z.object({ items: z.array(GoalSchema) }), ...problems(401) },
        },
      },
      async (request) => ({ items: await listGlobalGoals(deps.app, auth.actorOf(request)) }),
    );

    app.post(
      '/goals',
      {
        schema: {
          operationId: 'createGlobalGoal',
          tags,
          summary: 'Define a global goal (global admins), with the projects allowed to write to it',
          security,
          body: GoalBody.extend({ allowedProjectIds: ProjectIdsSchema.default([]) }).strict(),
          response: { 201: GoalSchema, ...problems(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const defined = await defineGoal(
          deps.app,
          auth.actorOf(request),
          null,
          request.body,
          originOf(request),
        );
        return reply.code(201).send(await current(request, defined.goalId, defined.position));
      },
    );

    app.get(
      '/goals/:goal',
      {
        schema: {
          operationId: 'getGoal',
          tags,
          summary: 'One goal, by id or slug',
          security,
          params: GoalParams,
          response: { 200: GoalSchema, ...problems(400, 401, 404) },
        },
      },
      async (request) => getGoal(deps.app, auth.actorOf(request), request.params.goal),
    );

    app.patch(
      '/goals/:goal',
      {
        schema: {
          operationId: 'updateGoal',
          tags,
          summary: 'Change name, colour, description, or (global goals) the allowed projects',
          description:
            "Project goals: the project's owner or a global admin. Global goals: global admins. Slug and type are fixed.",
          security,
          params: GoalParams,
          body: atLeastOne(
            z.object({
              name: NameSchema.optional(),
              color: ColorSchema.optional(),
              description: DescriptionSchema.optional(),
              allowedProjectIds: ProjectIdsSchema.optional(),
            }),
          ),
          response: { 200: GoalSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const actor = auth.actorOf(request);
        const result = await updateGoal(
          deps.app,
          actor,
          request.params.goal,
          request.body,
          originOf(request),
        );
        return current(request, result.goalId, result.position);
      },
    );

    app.delete(
      '/goals/:goal',
      {
        schema: {
          operationId: 'deleteGoal',
          tags,
          summary: 'Delete a goal and its statistics; its slug becomes free (the events stay)',
          security,
          params: GoalParams,
          response: { 204: z.void().describe('Deleted'), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const result = await deleteGoal(
          deps.app,
          auth.actorOf(request),
          request.params.goal,
          originOf(request),
        );
        await deps.waitFor(result.position);
        return reply.code(204).send();
      },
    );

    app.get(
      '/goals/:goal/stats',
      {
        schema: {
          operationId: 'getGoalStats',
          tags,
          summary: "A counter's total; a daily counter's values per UTC day, missing days as 0",
          description: `Daily counters: \`from\`/\`to\` (inclusive, UTC dates) default to the last 30 days; at most ${MAX_STATS_DAYS} days.`,
          security,
          params: GoalParams,
          querystring: z.object({ from: DaySchema.optional(), to: DaySchema.optional() }),
          response: { 200: GoalStatsSchema, ...problems(400, 401, 404) },
        },
      },
      async (request) => goalStats(deps.app, auth.actorOf(request), request.params.goal, request.query),
    );
  };
}

/**
 * `POST /goals/:goal/increment`: with the project's API key in `X-Api-Key` (external systems), or a bearer
 * token. A key writes only to its project's goals and to global goals that allow the project (else 403).
 */
export function goalIncrementRoutes(deps: ProjectRouteDeps): HttpRoutes {
  const { auth } = deps;

  const writerOf = async (request: FastifyRequest): Promise<GoalWriter> => {
    const key = request.headers['x-api-key'];
    if (key !== undefined) {
      const project = await projectOfApiKey(deps.app, deps.apiKeyLimiter, request, key);
      return { kind: 'project', projectId: project.id };
    }
    if (request.headers.authorization === undefined) {
      throw problem('unauthorized', 'Send the project API key in X-Api-Key, or a bearer token.');
    }
    await auth.authenticate(request);
    return { kind: 'actor', actor: auth.actorOf(request) };
  };

  // Resolved in `onRequest`, before the body is read or validated: a caller without credentials gets 401.
  const writers = new WeakMap<FastifyRequest, GoalWriter>();

  // The hot route of m3m (ADR 0031): what almost every request sends, `{"by": <whole number in range>}` and a goal
  // of allowed length, is accepted without zod's parse; anything else (no body, `{}`, a wrong value, extra keys) is
  // validated by the route's zod schema as before, so every refusal stays the same problem with its fields named.
  const validators = (route: FastifyRouteSchemaDef<unknown>) => {
    const zod = validatorCompiler(route as Parameters<typeof validatorCompiler>[0]);
    const fast =
      route.httpPart === 'body' ? isPlainIncrement : route.httpPart === 'params' ? isGoalParam : null;
    return fast ? (data: unknown) => (fast(data) ? { value: data } : zod(data)) : zod;
  };
  // The 200 answer is built by the handler below with exactly its schema's four fields: written without zod's
  // encode (which checks and copies it); problems are serialized by zod as on every route.
  const serializers = (route: FastifyRouteSchemaDef<unknown>) =>
    route.httpStatus === '200'
      ? stringifyIncrement
      : serializerCompiler(route as Parameters<typeof serializerCompiler>[0]);

  return (app) => {
    app.post(
      '/goals/:goal/increment',
      {
        onRequest: async (request) => {
          writers.set(request, await writerOf(request));
        },
        preValidation: refuseNullBody,
        validatorCompiler: validators,
        serializerCompiler: serializers,
        schema: {
          operationId: 'incrementGoal',
          tags,
          summary: 'Add to a goal (by id or slug): by the project API key or a signed-in user with access',
          description:
            'The increment is recorded when this answers; statistics follow within moments. `by` defaults to 1.',
          security: [{ apiKey: [] }, ...BEARER_SECURITY],
          params: GoalParams,
          // No body at all means `by: 1`; a body is an object (`null`, a number, an array are 400).
          body: z
            .object({ by: IncrementSchema.default(1) })
            .strict()
            .nullish(),
          response: {
            200: z.object({ goalId: z.string(), slug: z.string(), by: z.number(), day: z.string() }),
            ...problems(400, 401, 403, 404, 429),
          },
        },
      },
      async (request) => {
        const writer = writers.get(request);
        if (!writer) throw problem('unauthorized', 'Authentication is required.');
        const result = await incrementGoal(
          deps.app,
          writer,
          request.params.goal,
          request.body?.by ?? 1,
          originOf(request),
        );
        return { goalId: result.goalId, slug: result.slug, by: result.by, day: result.day };
      },
    );
  };
}

/** `{ "by": n }` with n a whole number from 1 to MAX_INCREMENT, and nothing else: what `IncrementSchema` accepts. */
function isPlainIncrement(data: unknown): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  let keys = 0;
  for (const key in data) {
    if (key !== 'by' || !Object.hasOwn(data, key)) return false;
    keys += 1;
  }
  const by = (data as { by?: unknown }).by;
  return keys === 1 && Number.isInteger(by) && (by as number) >= 1 && (by as number) <= MAX_INCREMENT;
}

/** `{ goal }` of 1 to 120 characters: what `GoalParams` accepts. */
function isGoalParam(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const goal = (data as { goal?: unknown }).goal;
  let keys = 0;
  for (const _ in data) keys += 1;
  return keys === 1 && typeof goal === 'string' && goal.length >= 1 && goal.length <= 120;
}

function stringifyIncrement(data: unknown): string {
  const { goalId, slug, by, day } = data as { goalId: string; slug: string; by: number; day: string };
  return JSON.stringify({ goalId, slug, by, day });
}
