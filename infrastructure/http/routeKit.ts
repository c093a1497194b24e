import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RequestOrigin } from '../../application/context.ts';
import { PROBLEM_CONTENT_TYPE, validationFailed } from './problem.ts';

/**
 * What every route module uses, whatever it is about: the OpenAPI description of problem responses and of
 * the bearer token, the origin of a request as the application records it, and the shape of a PATCH body.
 */

/** The Fastify instance every route module registers on: zod schemas for validation and the OpenAPI document. */
export type HttpApp = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;
/** A route module: registered in its own encapsulated context (see `app.ts`). */
export type HttpRoutes = (app: HttpApp) => Promise<void> | void;

/** The document's default (`openApi.ts`); routes say it anyway, so that a route module reads on its own. */
export const BEARER_SECURITY = [{ bearerAuth: [] }];
/** `security: PUBLIC`: the operation needs no credentials. */
export const PUBLIC = [];

/** RFC 9457 body, for the documentation of error responses (the error handler writes them). */
export const ProblemSchema = z
  .looseObject({
    type: z.string().meta({ description: '`/api/v1/problems/<code>`: what the code means' }),
    title: z.string(),
    status: z.number(),
    detail: z.string().optional(),
    instance: z.string().optional().meta({ description: 'The path of the request refused' }),
    code: z.string().meta({ description: "The error catalogue's code (stable, snake_case)" }),
    errors: z
      .array(
        z.object({
          field: z.string().meta({ description: '`<part>.<path>`: `body.email`, `querystring.limit`' }),
          message: z.string(),
          code: z.string().optional(),
        }),
      )
      .optional()
      .meta({ description: 'The fields at fault' }),
    requestId: z.string().optional().meta({ description: "The request's id in the server's log" }),
  })
  .meta({ title: 'Problem', description: 'An RFC 9457 problem: every refusal m3m answers with' });

const problemResponse = {
  description: 'A problem (described per status in the document)',
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
} as const;

/**
 * `response: { 200: …, ...problems(400, 401, 404) }`: the statuses the operation refuses with. The document
 * describes each status once, from the error catalogue (`openApi.ts`).
 */
export function problems<const S extends readonly number[]>(...statuses: S) {
  return Object.fromEntries(statuses.map((status) => [status, problemResponse])) as Record<
    S[number],
    typeof problemResponse
  >;
}

/** Where a request comes from, for the metadata of the events it appends. */
export const originOf = (request: FastifyRequest): RequestOrigin => ({
  source: 'api',
  correlationId: randomUUID(),
  // Fastify's own id (`req-<n>`), never a client's header: it names the request in the server's log.
  requestId: request.id,
});

/**
 * `preValidation` for routes whose body is optional: Fastify validates a request that sent no body as `null`,
 * so the schema must let `null` through; this tells the two apart and refuses a body that is an explicit JSON
 * `null`, like any other body that is not an object.
 */
export function refuseNullBody(
  request: FastifyRequest,
  _reply: unknown,
  done: (error?: Error) => void,
): void {
  // A callback hook, not an async one: it runs on every increment, and a promise per request buys nothing here.
  const length = request.headers['content-length'];
  const sentSomething =
    (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
  if (sentSomething && request.body === null) {
    done(validationFailed([{ field: 'body', message: 'must be an object (or no body at all), not null' }]));
    return;
  }
  done();
}

/** A body that must change something: PATCH with `{}` is a client mistake. */
export const atLeastOne = <T extends z.ZodObject>(schema: T) =>
  schema
    .strict()
    .refine((body) => Object.values(body).some((v) => v !== undefined), 'must change at least one field');
