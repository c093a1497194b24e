import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverOpenApiDocument } from '../../scripts/webApiTypes.ts';

/**
 * What an integrator does with the document: generate types with `openapi-typescript` (default options) and
 * call m3m through `openapi-fetch`. The program must type-check, and a call that does not match the API must
 * not, so a change to the document that breaks generated clients breaks the build.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));

// Three operations: log in, create a project, count on a goal with the project's API key.
const CLIENT = `
import createClient from 'openapi-fetch';
import type { components, paths } from './m3m';

type Problem = components['schemas']['Problem'];

const m3m = createClient<paths>({ baseUrl: 'http://localhost:3000' });

export async function countFirstOrder(email: string, password: string): Promise<number | Problem> {
  const login = await m3m.POST('/api/v1/auth/login', { body: { email, password } });
  if (login.error) return login.error;
  const authorization = \`Bearer \${login.data.token}\`;

  const created = await m3m.POST('/api/v1/projects', {
    headers: { authorization },
    body: { name: 'Shop', slug: 'shop' },
  });
  if (created.error) return created.error;
  const apiKey: string = created.data.apiKey;

  const counted = await m3m.POST('/api/v1/goals/{goal}/increment', {
    params: { path: { goal: 'shop-orders' } },
    headers: { 'x-api-key': apiKey },
    body: { by: 1 },
  });
  if (counted.error) return counted.error.status;
  return counted.data.by;
}
`;

// The same calls with mistakes a generated client must catch.
const MISTAKES = `
import createClient from 'openapi-fetch';
import type { paths } from './m3m';

const m3m = createClient<paths>({ baseUrl: 'http://localhost:3000' });

export async function mistakes() {
  await m3m.POST('/api/v1/auth/login', { body: { email: 'a@b.co' } });
  await m3m.POST('/api/v1/projects', { body: { name: 'Shop', slug: 42 } });
  await m3m.POST('/api/v1/goals/{goal}/increment', { body: { by: 1 } });
}
`;

describe('a client generated from the OpenAPI document', () => {
  let dir: string;
  let diagnostics: Map<string, string[]>;

  beforeAll(async () => {
    const types = astToString(await openapiTS((await serverOpenApiDocument()) as never));
    // Inside the repository, so that `openapi-fetch` resolves from its node_modules.
    await mkdir(join(root, 'node_modules/.cache'), { recursive: true });
    dir = await mkdtemp(join(root, 'node_modules/.cache/m3m-client-'));
    await writeFile(join(dir, 'm3m.d.ts'), types);
    await writeFile(join(dir, 'client.ts'), CLIENT);
    await writeFile(join(dir, 'mistakes.ts'), MISTAKES);
    const program = ts.createProgram([join(dir, 'client.ts'), join(dir, 'mistakes.ts')], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
    });
    diagnostics = new Map();
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const file = d.file ? d.file.fileName.slice(dir.length + 1) : '(options)';
      const line =
        d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      const text = `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
      diagnostics.set(file, [...(diagnostics.get(file) ?? []), text]);
    }
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('type-checks a program that logs in, creates a project and increments a goal through openapi-fetch', () => {
    expect([...diagnostics.entries()].filter(([file]) => file !== 'mistakes.ts')).toEqual([]);
  });

  it('refuses calls that do not match the API: a missing field, a field of the wrong type, a missing path parameter', () => {
    const found = diagnostics.get('mistakes.ts') ?? [];
    expect(found.map((d) => Number(d.split(':')[0]))).toEqual([8, 9, 10]);
    expect(found[0]).toMatch(/password/);
    expect(found[1]).toMatch(/number.*string/);
    expect(found[2]).toMatch(/params/);
  });
});
