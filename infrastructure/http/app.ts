import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ErrorCode } from '../../application/errorCatalogue.ts';
import type { Config } from '../config.ts';
import { isStorageFull, StorageAlarm } from '../storageAlarm.ts';
import { registerJsonBodyParser } from './jsonBody.ts';
import { openApiOptions, swaggerUiOptions } from './openApi.ts';
import {
  type FieldError,
  PROBLEM_CONTENT_TYPE,
  ProblemError,
  problem,
  problemFromRefusal,
  validationFailed,
} from './problem.ts';
import { lazyRequestLogger } from './requestLogger.ts';
import { type HttpApp, type HttpRoutes, PUBLIC } from './routeKit.ts';
import { problemRoutes } from './routes/problems.ts';
import { registerWebApp, wantsWebApp } from './webApp.ts';

export type HealthReport = { status: 'ok' | 'degraded'; [k: string]: unknown };

export interface HttpAppOptions {
  config: Pick<Config, 'webDir'>;
  logger: Logger;
  health: () => Promise<HealthReport> | HealthReport;
  /** Each is registered in its own encapsulated context under `/api/v1`. */
  routes?: HttpRoutes[];
  /** Each is registered in its own encapsulated context at the root (e.g. the workers' `/run/…`). */
  rootRoutes?: HttpRoutes[];
  /** Told of every write refused for a full disk, and of the next one that succeeds (see `/health`). */
  storage?: StorageAlarm;
}

export const API_PREFIX = '/api/v1';
export const DOCS_PREFIX = '/api/docs';

const HealthReportSchema = z.looseObject({ status: z.enum(['ok', 'degraded']) });

export async function buildHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  // Typed with Fastify's base logger so route modules do not depend on pino's types.
  const logger: FastifyBaseLogger = options.logger;
  const storage = options.storage ?? new StorageAlarm();
  const answerError = errorSender(storage);
  const app: HttpApp = Fastify({
    loggerInstance: logger,
    // Fastify's own two lines per request (each with the request serialized and run through redaction) cost a
    // twentieth of a goal increment: one compact line is written in `onResponse` below instead.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger,
    // The router's own refusals (a malformed percent-encoding, a path parameter beyond its length limit) are
    // answered before any error handler runs; this makes them problems like every other 4xx.
    frameworkErrors: (error, request, reply) => answerError(error, request, reply),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Set before any route is registered: child contexts copy the handler in effect when they are created.
  app.setErrorHandler(answerError);
  registerJsonBodyParser(app);
  // Its fields are these four and the request id, none of them secret: run through the redaction paths (17, with
  // wildcards) this line cost about as much as the rest of the logging of a request.
  const requestLines = logger.child({}, { redact: [] });
  app.addHook('onResponse', (request, reply, done) => {
    // One line per request at info: method, path (without the query, which may carry a token), status, time.
    requestLines.info(
      {
        reqId: request.id,
        method: request.method,
        url: pathOf(request),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
    // A write that succeeds after the disk was full: there is room again.
    if (request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400)
      storage.recovered(request.log);
    done();
  });

  await app.register(fastifySwagger, openApiOptions);
  await app.register(fastifySwaggerUi, swaggerUiOptions(DOCS_PREFIX));

  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness and readiness of the server and its subscriptions',
        tags: ['system'],
        security: PUBLIC,
        response: { 200: HealthReportSchema, 503: HealthReportSchema },
      },
    },
    async (request, reply) => {
      let report: HealthReport;
      try {
        report = await options.health();
      } catch (err) {
        request.log.error({ err }, 'health check failed');
        report = { status: 'degraded', error: 'health check failed' };
      }
      return reply.code(report.status === 'ok' ? 200 : 503).send(report);
    },
  );

  for (const routes of [problemRoutes, ...(options.routes ?? [])]) {
    await app.register(async (api) => routes(api), { prefix: API_PREFIX });
  }
  for (const routes of options.rootRoutes ?? []) {
    await app.register(async (root) => routes(root));
  }

  const spa = await registerWebApp(app, options.config.webDir, UI_NOT_BUILT);

  app.setNotFoundHandler(async (request, reply) => {
    if (spa && wantsWebApp(request)) return reply.sendFile('index.html');
    throw problem('route_not_found', `No route for ${request.method} ${pathOf(request)}.`);
  });

  return app;
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? request.url;
}

function errorSender(storage: StorageAlarm) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (!isStorageFull(error)) return sendError(error, request, reply);
    storage.refused(error, request.log);
    const full = problem(
      'storage_full',
      'The storage m3m writes to is full: nothing of this request was stored. Send it again once space is freed.',
    );
    return sendProblem(full, request, reply);
  };
}

function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblemError(error);
  if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
  // A client mistake is routine: no stack, just enough to answer "why did my call fail?".
  else
    request.log.info(
      {
        status: problem.status,
        code: problem.code,
        reason: problem.message,
        fields: problem.errors?.map((e) => e.field),
      },
      'request rejected',
    );
  return sendProblem(problem, request, reply);
}

function sendProblem(problem: ProblemError, request: FastifyRequest, reply: FastifyReply) {
  return reply
    .code(problem.status)
    .headers(problem.headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify({ ...problem.toProblem(pathOf(request)), requestId: request.id }));
}

/** Fastify's own refusals, by status; any other client error of Fastify's is a `bad_request`. */
const FRAMEWORK_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  404: 'not_found',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
};

const internalError = () => problem('internal_error', 'An unexpected error occurred. It has been logged.');

function toProblemError(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  const refused = problemFromRefusal(error);
  if (refused) return refused;
  if (!(error instanceof Error)) return internalError();
  const { validation, validationContext, statusCode } = error as Error & {
    validation?: { instancePath?: string; message?: string }[];
    validationContext?: string;
    statusCode?: number;
  };
  if (Array.isArray(validation))
    return validationFailed(validation.map((v) => fieldError(validationContext, v)));
  // Fastify's own 4xx (malformed JSON, 413, 415…) have messages meant for the client; anything else may leak internals.
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return problem(FRAMEWORK_CODES[statusCode] ?? 'bad_request', error.message);
  }
  return internalError();
}

function fieldError(part = 'request', issue: { instancePath?: string; message?: string }): FieldError {
  const path = (issue.instancePath ?? '').split('/').filter(Boolean);
  return { field: [part, ...path].join('.'), message: issue.message ?? 'is invalid' };
}

const UI_NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>m3m</title></head>
<body>
<h1>m3m</h1>
<p>The admin UI is not built: there is no <code>index.html</code> in the web directory
(<code>M3M_WEB_DIR</code>, by default <code>web/dist</code>). <code>npm start</code> builds it, or run
<code>npm run build:web</code>. The API is up; see <a href="${DOCS_PREFIX}">${DOCS_PREFIX}</a>.</p>
</body>
</html>
`;
