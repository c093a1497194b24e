import { beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../application/errorCatalogue.ts';
import { API_TAGS, problemResponseName } from '../../infrastructure/http/openApi.ts';
import { describeProblem, lintOpenApi } from '../../scripts/openApiLint.ts';
import { serverOpenApiDocument } from '../../scripts/webApiTypes.ts';

/**
 * The OpenAPI document the server serves, as client generators and API tools take it: Redocly's lint
 * (redocly.yaml) finds nothing, and every operation keeps m3m's own rules (docs/architecture.md, "HTTP routes
 * and the OpenAPI document"), so that a route added later cannot slip through.
 */

/** Operations that take no input and need no credentials, so they never answer 4xx: each with why. */
const REFUSES_NOTHING: Record<string, string> = {
  getHealth: 'no input; degraded is the 503 health report, not a refusal',
  listProblemTypes: 'no input: the whole catalogue',
  getSetupStatus: 'no input: whether the first admin exists',
  listColors: 'no input: the palette',
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const OPERATION_ID = /^[a-z][a-zA-Z0-9]*$/;
const TAGS = new Set<string>(API_TAGS.map((tag) => tag.name));
const CATALOGUE_STATUSES = new Set(Object.values(ERRORS).map((entry) => entry.status));

type Operation = {
  operationId?: string;
  tags?: string[];
  summary?: string;
  security?: Record<string, string[]>[];
  responses?: Record<string, { $ref?: string; content?: Record<string, unknown> }>;
};
type Document = {
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  components: { responses?: Record<string, unknown> };
};

/** What an operation of the document does against m3m's rules, one line each. */
function ruleBreaks(document: Document): string[] {
  const breaks: string[] = [];
  const seen = new Map<string, string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const at = `${method.toUpperCase()} ${path}`;
      const id = operation.operationId;
      if (id === undefined) breaks.push(`${at}: no operationId`);
      else if (!OPERATION_ID.test(id)) breaks.push(`${at}: operationId "${id}" is not camelCase`);
      else if (seen.has(id)) breaks.push(`${at}: operationId "${id}" is also ${seen.get(id)}'s`);
      else seen.set(id, at);
      const tags = operation.tags ?? [];
      if (tags.length !== 1 || !TAGS.has(tags[0] ?? ''))
        breaks.push(`${at}: tags [${tags.join(', ')}] are not one of ${[...TAGS].join(', ')}`);
      if (!operation.summary) breaks.push(`${at}: no summary`);

      const responses = operation.responses ?? {};
      const errors = Object.keys(responses).filter((status) => /^[45]/.test(status));
      for (const status of errors.filter((s) => s.startsWith('4'))) {
        const expected = `#/components/responses/${problemResponseName(Number(status))}`;
        if (responses[status]?.$ref !== expected)
          breaks.push(`${at}: ${status} is not the problem response (problems(${status}) in the route)`);
        if (!CATALOGUE_STATUSES.has(Number(status)))
          breaks.push(`${at}: ${status} is not a status of the error catalogue`);
      }
      const refusesNothing = id !== undefined && id in REFUSES_NOTHING;
      const has4xx = errors.some((s) => s.startsWith('4'));
      if (!has4xx && !refusesNothing) breaks.push(`${at}: documents no refusal (4xx)`);
      if (has4xx && refusesNothing) breaks.push(`${at}: documents a 4xx, yet is listed as refusing nothing`);
      const security = operation.security ?? document.security ?? [];
      const needsCredentials = security.length > 0 && security.every((s) => Object.keys(s).length > 0);
      if (needsCredentials && !('401' in responses))
        breaks.push(`${at}: needs credentials but does not document 401`);
    }
  }
  for (const id of Object.keys(REFUSES_NOTHING))
    if (!seen.has(id)) breaks.push(`REFUSES_NOTHING lists "${id}", which no operation has`);
  return breaks;
}

describe('the OpenAPI document (/api/docs/json)', () => {
  let document: Document;
  beforeAll(async () => {
    document = (await serverOpenApiDocument()) as Document;
  });

  it('passes `redocly lint` (redocly.yaml) without an error or a warning', async () => {
    const report = await lintOpenApi(document);
    expect(report.version).toBe('2.77.0');
    expect(report.problems.map(describeProblem)).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  });

  it('the lint fails a document that breaks a rule', async () => {
    const broken = structuredClone(document) as Document & { servers?: unknown };
    delete broken.servers;
    const op = broken.paths['/api/v1/projects']?.post;
    if (!op) throw new Error('no POST /api/v1/projects');
    delete op.operationId;
    const report = await lintOpenApi(broken);
    expect(report.problems.map((p) => p.ruleId).sort()).toEqual([
      'no-empty-servers',
      'operation-operationId',
    ]);
  });

  it('every operation has an operationId, one tag of API_TAGS, and its refusals as problem responses', () => {
    expect(ruleBreaks(document)).toEqual([]);
  });

  it('the rules catch a missing or repeated operationId, a stray tag, an undocumented refusal', () => {
    const broken = structuredClone(document);
    const op = (path: string, method: string) => {
      const found = broken.paths[path]?.[method];
      if (!found) throw new Error(`no ${method} ${path}`);
      return found;
    };
    delete op('/api/v1/projects', 'post').operationId;
    op('/api/v1/projects/{id}', 'get').operationId = 'listProjects';
    op('/api/v1/goals', 'get').tags = ['misc'];
    op('/api/v1/users', 'get').responses = { 200: {} };
    op('/api/v1/me', 'get').responses = { 200: {}, 404: { content: {} } };
    const colors = op('/api/v1/colors', 'get');
    colors.responses = { ...colors.responses, 418: { $ref: '#/components/responses/ImATeapot' } };
    expect(ruleBreaks(broken).sort()).toEqual(
      [
        'GET /api/v1/colors: 418 is not a status of the error catalogue',
        'GET /api/v1/colors: documents a 4xx, yet is listed as refusing nothing',
        'GET /api/v1/colors: 418 is not the problem response (problems(418) in the route)',
        'GET /api/v1/me: 404 is not the problem response (problems(404) in the route)',
        'GET /api/v1/me: needs credentials but does not document 401',
        'GET /api/v1/users: documents no refusal (4xx)',
        'GET /api/v1/users: needs credentials but does not document 401',
        'POST /api/v1/projects: no operationId',
        'GET /api/v1/projects/{id}: operationId "listProjects" is also GET /api/v1/projects\'s',
        `GET /api/v1/goals: tags [misc] are not one of ${[...TAGS].join(', ')}`,
      ].sort(),
    );
  });

  it('describes each problem status once, from the error catalogue, with the Problem schema', () => {
    const forbidden = document.components.responses?.Forbidden as { description: string; content: unknown };
    for (const [code, entry] of Object.entries(ERRORS))
      if (entry.status === 403) expect(forbidden.description).toContain(`\`${code}\``);
    expect(forbidden.content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
    });
  });

  it('documents the HTTP trigger at the worker and below it, as `{path}`, for every method', () => {
    for (const path of ['/run/{projectSlug}/{workerSlug}', '/run/{projectSlug}/{workerSlug}/{path}']) {
      const item = document.paths[path] ?? {};
      // HEAD is left out, as for every GET route.
      expect(Object.keys(item).sort()).toEqual(METHODS.filter((m) => m !== 'head').sort());
      expect(item.post?.security).toEqual([{ apiKey: [] }]);
    }
    const rest = document.paths['/run/{projectSlug}/{workerSlug}/{path}']?.get as { parameters?: unknown[] };
    const params = rest.parameters;
    expect(params).toContainEqual(expect.objectContaining({ in: 'path', name: 'path', required: true }));
  });
});
