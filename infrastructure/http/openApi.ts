import { STATUS_CODES } from 'node:http';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERRORS } from '../../application/errorCatalogue.ts';
import pkg from '../../package.json' with { type: 'json' };
import { PROBLEM_CONTENT_TYPE } from './problem.ts';
import { ProblemSchema } from './routeKit.ts';
import { webhooksSection } from './webhookPayloads.ts';

/**
 * The OpenAPI document (`/api/docs/json`) and its page (`/api/docs`). The routes' zod schemas make the
 * operations; this file adds what the document says once: the server, the default credentials, the tags, and
 * the problem responses, one per status, described from the error catalogue. The rules every operation keeps
 * (operationId, a tag of `API_TAGS`, its refusals) are checked by `test/http/openApiDocument.test.ts`.
 */

/** Every operation has exactly one of these tags; `docs/reference/api.md` has a section for each, in this order. */
export const API_TAGS = [
  { name: 'system', description: 'Health and the error catalogue.' },
  { name: 'auth', description: 'Signing in: the bearer token every other call sends.' },
  { name: 'me', description: 'Your own account: name, password, avatar.' },
  { name: 'users', description: 'Users, their permissions, blocking, project access; avatars.' },
  { name: 'admin', description: 'Global admins only (403 for everyone else).' },
  { name: 'projects', description: 'Projects, their members and API key.' },
  { name: 'goals', description: 'Project and global goals, increments and statistics.' },
  { name: 'environment', description: "A project's variables and secrets, for its workers." },
  { name: 'modules', description: 'The module catalogue, modules of a project, your licences.' },
  {
    name: 'workers',
    description: 'Workers, their versions and deploys; running them, their invocations and statistics.',
  },
  {
    name: 'collections',
    description:
      "A project's worker data (`m3m.models`): collections, their documents, and their models (JSON Schemas).",
  },
  {
    name: 'audit',
    description:
      'The audit log: who did what and when, every secret redacted; filtered, paged, exported as NDJSON or CSV.',
  },
  {
    name: 'webhooks',
    description:
      "The `webhooks` module: a project's endpoints, their signing secrets and delivery log (Standard Webhooks). The messages' payloads are in the document's `webhooks` section.",
  },
  {
    name: 'runtime',
    description: "The HTTP trigger: calling a worker's fetch handler with the project's API key.",
  },
] as const;
export type ApiTag = (typeof API_TAGS)[number]['name'];

export const BEARER_AUTH = 'bearerAuth';
export const API_KEY_AUTH = 'apiKey';

const PROBLEM_SCHEMA_NAME = 'Problem';

export const openApiOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'm3m',
      version: pkg.version,
      description: `${pkg.description}. Errors are RFC 9457 problems (\`application/problem+json\`) whose \`type\` is \`/api/v1/problems/<code>\`.`,
      license: { name: pkg.license, identifier: pkg.license },
    },
    // The document is served by the m3m it describes: the paths are relative to that server.
    servers: [{ url: '/', description: 'The m3m server that serves this document' }],
    // Every operation needs the bearer token unless it says otherwise (`security: []` for public ones).
    security: [{ [BEARER_AUTH]: [] }],
    tags: API_TAGS.map((tag) => ({ ...tag })),
    components: {
      securitySchemes: {
        [BEARER_AUTH]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        [API_KEY_AUTH]: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      },
    },
  },
  // Picks the JSON Schema target from the document version: draft-2020-12 for 3.1.x.
  transform: jsonSchemaTransform,
  transformObject: (document) =>
    ({
      ...withProblemResponses(jsonSchemaTransformObject(document) as ApiDocument),
      webhooks: webhooksSection(),
    }) as ReturnType<typeof jsonSchemaTransformObject>,
};

type Responses = Record<string, { content?: Record<string, unknown> } | { $ref: string }>;
type Operation = { responses?: Responses };
/** The document as plain JSON: the parts this file touches. */
type ApiDocument = {
  paths?: Record<string, Record<string, unknown>>;
  components?: { responses?: Record<string, unknown>; schemas?: Record<string, unknown> };
};

/** `403` → `Forbidden`, `413` → `PayloadTooLarge`: the name of a status's response in `components.responses`. */
export const problemResponseName = (status: number) =>
  (STATUS_CODES[status] ?? `Status${status}`).replace(/[^A-Za-z0-9]/g, '');

/**
 * Each operation's problem responses (`problems(…)` in the route) become references to one response per
 * status, whose description lists the catalogue's codes with that status, and whose body is the `Problem`
 * schema: generated clients get one named problem type, not one copy per operation.
 */
function withProblemResponses(document: ApiDocument): ApiDocument {
  const statuses = new Set<number>();
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item) as Operation[]) {
      const responses = operation?.responses;
      if (!responses || typeof responses !== 'object') continue;
      for (const [status, response] of Object.entries(responses)) {
        if (!('content' in response) || !response.content?.[PROBLEM_CONTENT_TYPE]) continue;
        statuses.add(Number(status));
        responses[status] = { $ref: `#/components/responses/${problemResponseName(Number(status))}` };
      }
    }
  }
  const { $schema: _, ...problemSchema } = z.toJSONSchema(ProblemSchema, {
    target: 'draft-2020-12',
    io: 'output',
  });
  const responses = Object.fromEntries(
    [...statuses]
      .sort((a, b) => a - b)
      .map((status) => [
        problemResponseName(status),
        {
          description: describeStatus(status),
          content: {
            [PROBLEM_CONTENT_TYPE]: { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA_NAME}` } },
          },
        },
      ]),
  );
  return {
    ...document,
    components: {
      ...document.components,
      responses: { ...document.components?.responses, ...responses },
      schemas: { ...document.components?.schemas, [PROBLEM_SCHEMA_NAME]: problemSchema },
    },
  };
}

/** What a problem response of this status can be: the catalogue's codes answered with it. */
function describeStatus(status: number): string {
  const codes = Object.entries(ERRORS)
    .filter(([, entry]) => entry.status === status && !('reportedAs' in entry))
    .map(([code]) => `\`${code}\``);
  const fields =
    status === 400
      ? ' A mistake in one field is `validation_failed` with the field and the code of the rule broken in `errors[]`.'
      : '';
  return `${STATUS_CODES[status]}: a problem whose \`code\` is one of ${codes.join(', ')} (each explained at \`/api/v1/problems/<code>\`).${fields}`;
}

/** m3m's mark with its name and version, where Swagger UI shows Fastify's logo by default. */
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="180" height="40" viewBox="0 0 180 40"><title>m3m ${pkg.version}</title><rect x="4" y="4" width="32" height="32" rx="7" fill="#18181b"/><path d="M11 26V16.5c0-1.4 1.1-2.5 2.5-2.5S16 15.1 16 16.5V26m0-9.5c0-1.4 1.1-2.5 2.5-2.5S21 15.1 21 16.5V26m0-9.5c0-1.4 1.1-2.5 2.5-2.5S26 15.1 26 16.5V26" fill="none" stroke="#fafafa" stroke-width="2.2" stroke-linecap="round"/><circle cx="29.5" cy="25" r="1.6" fill="#a78bfa"/><text x="46" y="27" font-family="system-ui, sans-serif" font-size="20" font-weight="700" fill="#fafafa">m3m</text><text x="96" y="27" font-family="system-ui, sans-serif" font-size="14" fill="#d4d4d8">${pkg.version}</text></svg>`;

/** The admin UI's favicon (`web/public/favicon.svg`). */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><title>m3m</title><rect width="32" height="32" rx="7" fill="#18181b"/><path d="M7 22V12.5c0-1.4 1.1-2.5 2.5-2.5S12 11.1 12 12.5V22m0-9.5c0-1.4 1.1-2.5 2.5-2.5S17 11.1 17 12.5V22m0-9.5c0-1.4 1.1-2.5 2.5-2.5S22 11.1 22 12.5V22" fill="none" stroke="#fafafa" stroke-width="2.2" stroke-linecap="round"/><circle cx="25.5" cy="21" r="1.6" fill="#a78bfa"/></svg>`;

export const swaggerUiOptions = (routePrefix: string): FastifySwaggerUiOptions => ({
  routePrefix,
  logo: { type: 'image/svg+xml', content: Buffer.from(LOGO), href: '/', target: '_self' },
  theme: {
    title: `m3m ${pkg.version} API`,
    favicon: [
      { filename: 'favicon.svg', rel: 'icon', type: 'image/svg+xml', sizes: 'any', content: FAVICON },
    ],
  },
});
