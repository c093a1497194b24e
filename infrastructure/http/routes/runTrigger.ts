import type { FastifyReply, FastifyRequest } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type Invocation, invokeWorker } from '../../../application/runtime/invokeWorker.ts';
import { WORKERS, type WorkerDoc } from '../../../application/workers/readModel.ts';
import { projectOfApiKey } from '../apiKeys.ts';
import { type ProblemError, problem } from '../problem.ts';
import { type HttpRoutes, problems } from '../routeKit.ts';
import type { WorkerRouteDeps } from './workerSchemas.ts';

export const RUN_BODY_LIMIT = 1024 * 1024;
const INVOCATION_HEADER = 'x-m3m-invocation-id';
/** Request headers a worker never sees: the credentials of the call. */
const HIDDEN_REQUEST_HEADERS = new Set(['x-api-key', 'cookie']);
/** Response headers the worker may not set: Node computes them, or they belong to the connection. */
const HOP_HEADERS = new Set([
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'trailer',
  'te',
  'proxy-connection',
  INVOCATION_HEADER,
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

const Params = z.object({
  projectSlug: z.string().min(1).max(48).meta({ description: "The project's slug" }),
  workerSlug: z.string().min(1).max(48).meta({ description: "The worker's slug" }),
});
const PathParams = Params.extend({ '*': z.string() });
const DocumentedPathParams = Params.extend({
  path: z.string().meta({
    description:
      'The rest of the path below the worker, slashes included (`orders/42`); the worker gets it as `request.path` (`/orders/42`)',
  }),
});
/** Each is an operation of its own, on the worker's root and below it. */
const DOCUMENTED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'] as const;
/**
 * They reach the worker too, undocumented: HEAD like every GET route of the document (Swagger leaves HEAD out),
 * QUERY (RFC 10008) because OpenAPI 3.1 cannot describe it.
 */
const UNDOCUMENTED_METHODS = ['HEAD', 'QUERY'];

function workerFailed(invocation: Invocation): ProblemError {
  const timedOut = invocation.outcome === 'timeout' || invocation.outcome === 'cpu_limit';
  return problem(
    timedOut ? 'worker_timeout' : 'worker_failed',
    timedOut
      ? `The worker did not answer within its limits (${invocation.outcome}); invocation ${invocation.id}.`
      : `The worker failed (${invocation.outcome}${invocation.error ? `: ${invocation.error.name}` : ''}); see invocation ${invocation.id}.`,
    { headers: { [INVOCATION_HEADER]: invocation.id } },
  );
}

function invalidResponse(invocation: Invocation, why: string): ProblemError {
  return problem(
    'invalid_worker_response',
    `The worker's fetch handler returned ${why}; invocation ${invocation.id}.`,
    { headers: { [INVOCATION_HEADER]: invocation.id } },
  );
}

const RESPONSE_KEYS = new Set(['status', 'headers', 'body']);

/**
 * The worker's answer as an HTTP response. `{ status?, headers?, body? }` is the response (a string body as
 * it is, text/plain unless the worker says otherwise; any other body as JSON); a string is a 200 text/plain
 * body, any other value a 200 JSON body; `undefined` or `null` is a 204.
 */
/** What Node refuses in a header value: control characters other than tab, and anything beyond Latin-1. */
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function sendWorkerResponse(reply: FastifyReply, invocation: Invocation): FastifyReply {
  reply.header(INVOCATION_HEADER, invocation.id);
  const result = invocation.result;
  if (result === undefined || result === null) return reply.code(204).send();
  if (typeof result === 'string') return reply.code(200).type('text/plain; charset=utf-8').send(result);
  const isResponse =
    typeof result === 'object' &&
    !Array.isArray(result) &&
    Object.keys(result).every((k) => RESPONSE_KEYS.has(k));
  if (!isResponse)
    return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(result));
  const {
    status = 200,
    headers = {},
    body,
  } = result as { status?: unknown; headers?: unknown; body?: unknown };
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    throw invalidResponse(invocation, 'a status that is not a whole number from 200 to 599');
  }
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw invalidResponse(invocation, 'headers that are not an object of strings');
  }
  const entries = Object.entries(headers as Record<string, unknown>);
  for (const [name, value] of entries) {
    if (!HEADER_NAME.test(name) || typeof value !== 'string' || INVALID_HEADER_VALUE.test(value)) {
      throw invalidResponse(invocation, `an invalid header "${name.slice(0, 100)}"`);
    }
  }
  reply.code(status);
  for (const [name, value] of entries) {
    if (!HOP_HEADERS.has(name.toLowerCase())) reply.header(name, value as string);
  }
  const hasType = entries.some(([name]) => name.toLowerCase() === 'content-type');
  if (body === undefined || body === null) return reply.send();
  if (typeof body === 'string') {
    if (!hasType) reply.type('text/plain; charset=utf-8');
    return reply.send(body);
  }
  if (!hasType) reply.type('application/json; charset=utf-8');
  return reply.send(JSON.stringify(body));
}

/**
 * The HTTP trigger: `ANY /run/:projectSlug/:workerSlug[/*]`, authenticated by the project's API key in
 * `X-Api-Key`. Calls the worker's `fetch` handler with the request (method, URL, path below the worker, query,
 * headers without the key and cookies, body as text ≤ 1 MB) and answers with what it returns. A worker that
 * fails is a 502, one out of time a 504, both naming the invocation (also in `X-M3M-Invocation-Id`).
 */
export function runTriggerRoutes(deps: WorkerRouteDeps): HttpRoutes {
  const resolve = async (request: FastifyRequest) => {
    const params = request.params as z.output<typeof Params>;
    const key = request.headers['x-api-key'];
    if (key === undefined) {
      throw problem('api_key_required', "Send the project's API key in X-Api-Key.");
    }
    const project = await projectOfApiKey(deps.app, deps.apiKeyLimiter, request, key);
    const noWorker = problem('worker_not_found', 'This project has no such worker.');
    // A key opens only its own project's workers; another project's are as unknown as missing ones.
    if (project.slug !== params.projectSlug) throw noWorker;
    const worker = await deps.app.readStore
      .collection<WorkerDoc>(WORKERS)
      .findOne({ projectId: project.id, slug: params.workerSlug });
    if (!worker) throw noWorker;
    if (!worker.triggers.http) {
      throw problem(
        'http_trigger_off',
        'This worker has no HTTP trigger: turn on triggers.http to call it here.',
      );
    }
    return worker;
  };

  // Resolved in `onRequest`, before the body is read: a caller without a valid key never gets to upload.
  const resolved = new WeakMap<FastifyRequest, WorkerDoc>();
  const onRequest = async (request: FastifyRequest) => {
    resolved.set(request, await resolve(request));
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const worker = resolved.get(request);
    if (!worker) throw problem('unauthorized', 'Authentication is required.');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || HIDDEN_REQUEST_HEADERS.has(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const body = request.body;
    const rest = (request.params as Partial<z.output<typeof PathParams>>)['*'];
    const invocation = await invokeWorker(deps.app, {
      workerId: worker.id,
      projectId: worker.projectId,
      trigger: { kind: 'http' },
      handler: 'fetch',
      input: {
        method: request.method,
        url: `${request.protocol}://${request.host}${request.url}`,
        path: `/${rest ?? ''}`,
        query: request.query ?? {},
        headers,
        body: Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '',
      },
    });
    if (invocation.outcome !== 'ok') throw workerFailed(invocation);
    return sendWorkerResponse(reply, invocation);
  };

  return (app) => {
    // Any body, as raw bytes (the worker gets text): the worker decides what its body means.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: RUN_BODY_LIMIT }, (_request, body, done) =>
      done(null, body),
    );
    const schema = {
      tags: ['runtime'],
      summary: "Call a worker's fetch handler (HTTP trigger), with the project's API key",
      description:
        "The worker must have `triggers.http`. Every method reaches it (QUERY too). Its `fetch(request)` gets `{ method, url, path, query, headers, body }` and returns `{ status?, headers?, body? }`: the response is the worker's own. 401 without a valid key, 404 for a worker the key's project does not have, 403 when its HTTP trigger is off, 409 when it is disabled or not deployed, 502 when it fails, 504 when it runs out of time; 429 (with `Retry-After`) after too many wrong keys from one address.",
      security: [{ apiKey: [] }],
      response: {
        '2xx': {
          description:
            "The worker's answer: its status (200–599), headers and body (a string as it is, anything else as JSON); the invocation's id in `X-M3M-Invocation-Id`",
          content: { '*/*': { schema: z.unknown() } },
        },
        ...problems(401, 403, 404, 409, 413, 429, 502, 504),
      },
    };
    for (const method of DOCUMENTED_METHODS) {
      const name = method[0] + method.slice(1).toLowerCase();
      app.route({
        method,
        url: '/run/:projectSlug/:workerSlug',
        // HEAD is a route of its own (below), as it was when one route took every method.
        exposeHeadRoute: false,
        schema: { ...schema, operationId: `callWorker${name}`, params: Params },
        onRequest,
        handler,
      });
      app.route({
        method,
        url: '/run/:projectSlug/:workerSlug/*',
        exposeHeadRoute: false,
        schema: { ...schema, operationId: `callWorkerPath${name}`, params: PathParams },
        // Documented as `{path}`: `*` is Fastify's name for the rest of the path, which no OpenAPI tool accepts.
        config: {
          swaggerTransform: (document) =>
            jsonSchemaTransform({
              ...document,
              url: '/run/:projectSlug/:workerSlug/:path',
              schema: { ...document.schema, params: DocumentedPathParams },
            }),
        },
        onRequest,
        handler,
      });
    }
    for (const url of ['/run/:projectSlug/:workerSlug', '/run/:projectSlug/:workerSlug/*']) {
      app.route({ method: UNDOCUMENTED_METHODS, url, schema: { hide: true }, onRequest, handler });
    }
  };
}
