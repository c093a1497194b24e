import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, type ErrorEntry } from '../../application/errorCatalogue.ts';
import { ERRORS_REFERENCE, renderErrorsReference } from '../../scripts/errorsReference.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';
import { sourceFiles } from '../kit/sources.ts';

/** The one error vocabulary: every code once, used, documented, and served where problems point. */
describe('the error catalogue', () => {
  it('docs/reference/errors.md is the catalogue as `npm run docs:errors` writes it', async () => {
    const committed = await readFile(ERRORS_REFERENCE, 'utf8');
    expect(committed, 'run `npm run docs:errors` after changing application/errorCatalogue.ts').toBe(
      renderErrorsReference(),
    );
  });

  it('holds every code a domain rule refuses with, and no code nothing refuses with', async () => {
    const files = await sourceFiles(['domain', 'application', 'infrastructure', 'cli', 'plugins']);
    const domainCodes = new Set<string>();
    let everything = '';
    for (const { path, text } of files) {
      if (path.startsWith('domain/')) {
        for (const m of text.matchAll(/new DomainError\(\s*'([a-z_]+)'/g)) domainCodes.add(m[1]!);
      }
      if (!path.endsWith('errorCatalogue.ts')) everything += text;
    }
    expect(domainCodes.size).toBeGreaterThan(30);
    const missing = [...domainCodes].filter((code) => !Object.hasOwn(ERRORS, code));
    expect(missing, 'domain codes missing from application/errorCatalogue.ts').toEqual([]);
    const unused = Object.keys(ERRORS).filter((code) => !everything.includes(`'${code}'`));
    expect(unused, 'catalogue codes nothing refuses with').toEqual([]);
  });

  it('gives every code a title, a meaning, and a status that is a client or server error (or none)', () => {
    for (const [code, entry] of Object.entries(ERRORS as Record<string, ErrorEntry>)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(entry.title.length, code).toBeGreaterThan(2);
      expect(entry.doc.length, code).toBeGreaterThan(20);
      if (entry.status !== null) expect(entry.status, code).toBeGreaterThanOrEqual(400);
      if (entry.reportedAs)
        expect([entry.status, entry.field?.split('.')[0]], code).toEqual([400, expect.any(String)]);
    }
  });
});

describe('problem types served by m3m', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ triggers: false });
  });
  afterAll(() => server.close());

  it('a refusal points its `type` at a page of the server that describes its code', async () => {
    const refused = await server.request('GET', '/api/v1/projects');
    expect(refused.status).toBe(401);
    const problem = (await refused.json()) as { type: string; code: string; title: string };
    expect(problem.type).toBe('/api/v1/problems/unauthorized');
    const described = await fetch(new URL(problem.type, server.base));
    expect(described.status).toBe(200);
    expect(await described.json()).toMatchObject({
      code: 'unauthorized',
      status: 401,
      title: problem.title,
      description: ERRORS.unauthorized.doc,
    });
  });

  it('lists every code, and answers an unknown one with a 404 problem', async () => {
    const listed = (await (await server.request('GET', '/api/v1/problems')).json()) as {
      items: { code: string; status: number | null }[];
    };
    expect(listed.items.map((i) => i.code).sort()).toEqual(Object.keys(ERRORS).sort());
    const unknown = await server.request('GET', '/api/v1/problems/no_such_code');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'not_found', type: '/api/v1/problems/not_found' });
  });
});
