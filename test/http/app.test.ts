import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildHttpApp, type HealthReport } from '../../infrastructure/http/app.ts';
import { problem as refusal } from '../../infrastructure/http/problem.ts';
import type { HttpApp, HttpRoutes } from '../../infrastructure/http/routeKit.ts';
import { createLogger } from '../../infrastructure/logging.ts';
import pkg from '../../package.json' with { type: 'json' };

const logger = createLogger({ log: { level: 'silent' } });

// Test-only routes: production code ships no example endpoints.
const exampleRoutes: HttpRoutes = (app) => {
  app.post(
    '/examples',
    {
      schema: {
        summary: 'Create an example',
        body: z.object({ email: z.email(), age: z.number().int().min(0).optional() }),
        querystring: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
        response: { 201: z.object({ email: z.string() }) },
      },
    },
    async (request, reply) => reply.code(201).send({ email: request.body.email }),
  );
  app.get('/examples/:id', { schema: { params: z.object({ id: z.string() }) } }, async (request) => ({
    id: request.params.id,
  }));
  app.get('/boom', async () => {
    throw new Error('database password is hunter2');
  });
  app.get('/taken', async () => {
    throw refusal('slug_taken', 'That slug is taken.');
  });
};

async function start(options: { health?: () => HealthReport | Promise<HealthReport>; webDir?: string } = {}) {
  const app = await buildHttpApp({
    config: { webDir: options.webDir ?? join(tmpdir(), 'm3m-no-such-web-dir') },
    logger,
    health: options.health ?? (() => ({ status: 'ok' })),
    routes: [exampleRoutes],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { app, base: `http://127.0.0.1:${address.port}` };
}

type JsonSchema = {
  type?: string;
  format?: string;
  required?: string[];
  properties: Record<string, JsonSchema>;
};
type OpenApiDoc = {
  openapi: string;
  info: unknown;
  components: { securitySchemes: unknown };
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody: { content: Record<string, { schema: JsonSchema }> };
        parameters: { in: string; name: string }[];
      }
    >
  >;
};

async function problem(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as Record<string, unknown>;
}

describe('HTTP app', () => {
  let app: HttpApp;
  let base: string;
  beforeAll(async () => {
    ({ app, base } = await start());
  });
  afterAll(() => app.close());

  const postJson = (path: string, body: string) =>
    fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('serves the OpenAPI 3.1 document with the zod schemas converted', async () => {
    const response = await fetch(`${base}/api/docs/json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await response.json()) as OpenApiDoc;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'm3m', version: expect.any(String) });
    expect(doc.components.securitySchemes).toEqual({
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
    });
    const post = doc.paths['/api/v1/examples']?.post;
    const schema = post?.requestBody.content['application/json']?.schema;
    expect(schema?.required).toEqual(['email']);
    expect(schema?.properties.email).toMatchObject({ type: 'string', format: 'email' });
    expect(post?.parameters).toContainEqual(expect.objectContaining({ in: 'query', name: 'dryRun' }));
    expect(doc.paths['/health']).toBeDefined();
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/docs'))).toBe(false);
  });

  it('serves the browsable docs page with m3m\u2019s name, version and mark instead of Fastify\u2019s logo', async () => {
    const response = await fetch(`${base}/api/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('swagger');
    expect(html).toContain(`<title>m3m ${pkg.version} API</title>`);
    const favicon = await fetch(`${base}/api/docs/static/theme/favicon.svg`);
    expect(favicon.status).toBe(200);
    expect(await favicon.text()).toContain('<title>m3m</title>');
    const initializer = await (await fetch(`${base}/api/docs/static/swagger-initializer.js`)).text();
    const logo = /data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/.exec(initializer)?.[1];
    const svg = Buffer.from(logo ?? '', 'base64').toString('utf8');
    expect(svg).toContain('>m3m</text>');
    expect(svg).toContain(`>${pkg.version}</text>`);
    const fastifyLogo = await readFile(
      fileURLToPath(import.meta.resolve('@fastify/swagger-ui/static/logo.svg')),
      'utf8',
    );
    expect(svg).not.toBe(fastifyLogo);
    expect(initializer).not.toContain(Buffer.from(fastifyLogo).toString('base64'));
  });

  it('accepts a valid body', async () => {
    const response = await postJson('/api/v1/examples', JSON.stringify({ email: 'a@b.co' }));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ email: 'a@b.co' });
  });

  it('names each failing field of a body that fails its zod schema', async () => {
    const response = await postJson('/api/v1/examples', JSON.stringify({ email: 'nope', age: -1 }));
    expect(response.status).toBe(400);
    const body = await problem(response);
    expect(body).toMatchObject({
      type: '/api/v1/problems/validation_failed',
      status: 400,
      code: 'validation_failed',
      instance: '/api/v1/examples',
    });
    const errors = body.errors as { field: string; message: string }[];
    expect(errors.map((e) => e.field).sort()).toEqual(['body.age', 'body.email']);
    for (const e of errors) expect(e.message).toEqual(expect.any(String));
  });

  it('names querystring fields too', async () => {
    const response = await postJson('/api/v1/examples?dryRun=maybe', JSON.stringify({ email: 'a@b.co' }));
    expect(response.status).toBe(400);
    expect((await problem(response)).errors).toEqual([
      { field: 'querystring.dryRun', message: expect.any(String) },
    ]);
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const response = await postJson('/api/v1/examples', '{"email":');
    expect(response.status).toBe(400);
    expect(await problem(response)).toMatchObject({
      type: '/api/v1/problems/bad_request',
      title: 'Bad request',
      status: 400,
    });
  });

  it('answers an unsupported media type with a 415 problem', async () => {
    const response = await fetch(`${base}/api/v1/examples`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-nope' },
      body: 'x',
    });
    expect(response.status).toBe(415);
    expect(await problem(response)).toMatchObject({ status: 415, code: 'unsupported_media_type' });
  });

  it('answers a malformed percent-encoding in the path with a 400 problem', async () => {
    const response = await fetch(`${base}/api/v1/examples/%E0%A4%A`);
    expect(response.status).toBe(400);
    expect(await problem(response)).toMatchObject({ status: 400, code: 'bad_request' });
  });

  it('answers a path parameter beyond the router limit with a 414 problem', async () => {
    const response = await fetch(`${base}/api/v1/examples/${'a'.repeat(500)}`);
    expect(response.status).toBe(414);
    expect(await problem(response)).toMatchObject({ status: 414, code: 'uri_too_long' });
  });

  it('answers a ProblemError with its status and code', async () => {
    const response = await fetch(`${base}/api/v1/taken`);
    expect(response.status).toBe(409);
    expect(await problem(response)).toMatchObject({
      type: '/api/v1/problems/slug_taken',
      title: 'Slug taken',
      detail: 'That slug is taken.',
      code: 'slug_taken',
    });
  });

  it('answers an unknown API route with a 404 problem', async () => {
    const response = await fetch(`${base}/api/v1/x`);
    expect(response.status).toBe(404);
    expect(await problem(response)).toMatchObject({ status: 404, instance: '/api/v1/x' });
  });

  it('hides the message of an unexpected error behind a generic 500', async () => {
    const response = await fetch(`${base}/api/v1/boom`);
    expect(response.status).toBe(500);
    const text = await response.clone().text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('at ');
    expect(await problem(response)).toMatchObject({ status: 500, code: 'internal_error' });
  });

  it('says the UI is not built when there is no SPA, and points at the docs', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('/api/docs');
    expect((await fetch(`${base}/some/client/route`)).status).toBe(404);
  });
});

describe('GET /health', () => {
  let app: HttpApp | undefined;
  afterEach(() => app?.close());

  it('is 200 with the report when ok', async () => {
    const started = await start({ health: () => ({ status: 'ok', projections: { lag: 0 } }) });
    app = started.app;
    const response = await fetch(`${started.base}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', projections: { lag: 0 } });
  });

  it('is 503 with the report when degraded', async () => {
    const started = await start({ health: async () => ({ status: 'degraded', lastError: 'boom' }) });
    app = started.app;
    const response = await fetch(`${started.base}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'degraded', lastError: 'boom' });
  });

  it('is 503 when the check itself throws', async () => {
    const started = await start({
      health: () => {
        throw new Error('store unreachable');
      },
    });
    app = started.app;
    const response = await fetch(`${started.base}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'degraded' });
  });
});

describe('SPA', () => {
  let app: HttpApp;
  let base: string;
  let webDir: string;
  const INDEX = '<!doctype html><html><body><div id="root">m3m spa</div></body></html>';

  beforeAll(async () => {
    webDir = await mkdtemp(join(tmpdir(), 'm3m-web-'));
    await writeFile(join(webDir, 'index.html'), INDEX);
    await writeFile(join(webDir, 'app.js'), 'console.log(1)');
    ({ app, base } = await start({ webDir }));
  });
  afterAll(async () => {
    await app.close();
    await rm(webDir, { recursive: true, force: true });
  });

  it('serves index.html at / and for client-side routes', async () => {
    for (const path of ['/', '/some/client/route']) {
      const response = await fetch(base + path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toBe(INDEX);
    }
  });

  it('serves the built assets', async () => {
    const response = await fetch(`${base}/app.js`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('console.log(1)');
  });

  it('keeps API misses and missing assets as 404 problems', async () => {
    for (const path of ['/api/v1/nope', '/assets/missing.js']) {
      const response = await fetch(base + path);
      expect(response.status).toBe(404);
      await problem(response);
    }
  });

  it('still serves the API and the docs', async () => {
    expect((await fetch(`${base}/api/v1/taken`)).status).toBe(409);
    expect((await fetch(`${base}/api/docs/json`)).status).toBe(200);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});
