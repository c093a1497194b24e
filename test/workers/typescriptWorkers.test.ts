import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * TypeScript workers through the real server and sandbox: the source is kept as written, runs with its types
 * stripped, and every position — a refused deploy, a stack frame — is the line and column of the TypeScript.
 */
describe('TypeScript workers', () => {
  let server: TestServer;
  let token: string;
  let projectId: string;
  const api = (path = '') => `/api/v1/projects/${projectId}/workers${path}`;

  beforeAll(async () => {
    server = await startTestServer();
    token = await server.signInAsRoot();
    projectId = (await createProject(server, token, 'typed')).id;
  });
  afterAll(() => server.close());

  const deploy = (workerId: string, source: string) =>
    send(server, 'POST', api(`/${workerId}/deploy`), { token, body: { source } });
  const run = (workerId: string, input?: unknown) =>
    send(server, 'POST', api(`/${workerId}/run`), { token, body: { input } });

  const TYPED = [
    'interface Order { total: number; items: string[] }',
    'type Doubled = { total: number };',
    'export default {',
    '  async run(input: Order): Promise<Doubled> {',
    '    const total: number = input.total * 2;',
    "    if (input.items.length === 0) throw new Error('no items: ' + (input as Order).total);",
    '    return { total } satisfies Doubled;',
    '  },',
    '} satisfies m3m.Worker;',
    '',
  ].join('\n');

  it('deploys a typed source as written and runs it with its types stripped', async () => {
    const created = await createWorker(server, token, projectId, {
      name: 'Typed',
      slug: 'typed',
      language: 'typescript',
    });
    expect(created.language).toBe('typescript');
    await expectStatus(deploy(created.id, TYPED), 201);
    const version = await expectStatus(send(server, 'GET', api(`/${created.id}/versions/1`), { token }), 200);
    expect(version.json).toMatchObject({ source: TYPED, language: 'typescript' });
    const ran = await expectStatus(run(created.id, { total: 21, items: ['a'] }), 200);
    expect(ran.json).toMatchObject({ outcome: 'ok', result: { total: 42 } });
  });

  it('maps a thrown error to the TypeScript line and column', async () => {
    const created = await createWorker(
      server,
      token,
      projectId,
      { name: 'Thrower', slug: 'thrower', language: 'typescript' },
      TYPED,
    );
    const ran = await expectStatus(run(created.id, { total: 3, items: [] }), 200);
    expect(ran.json).toMatchObject({ outcome: 'error', error: { message: 'no items: 3' } });
    // Line 6 of TYPED; `throw new Error` starts at column 34, the Error is constructed at `new` (column 40).
    const column = TYPED.split('\n')[5]!.indexOf('new Error') + 1;
    expect((ran.json.error as unknown as { stack: string }).stack).toContain(`worker.js:6:${column}`);
  });

  it('refuses TypeScript syntax errors and syntax that cannot be erased, at their line and column', async () => {
    const created = await createWorker(server, token, projectId, {
      name: 'Broken',
      slug: 'broken',
      language: 'typescript',
    });
    const head = await server.headPosition();
    const bad = await deploy(
      created.id,
      'export default {\n  run(input: number {\n    return input;\n  },\n};\n',
    );
    expect(bad.status).toBe(400);
    const badErrors = bad.json.errors as unknown as { field: string; message: string }[];
    expect(badErrors[0]).toMatchObject({ field: 'body.source', code: 'syntax_error' });
    expect(badErrors[0]!.message).toMatch(/^Line 2, column 21: Expected ','/);
    const enumSource = 'const a = 1;\n\n  enum Color { Red }\nexport default { run() { return a; } };\n';
    const enumRefused = await deploy(created.id, enumSource);
    expect(enumRefused.status).toBe(400);
    expect((enumRefused.json.errors as unknown as { message: string }[])[0]!.message).toMatch(
      /^Line 3, column 3: TypeScript enum is not supported/,
    );
    // A JavaScript worker would refuse the same type annotation: the language is what strips it.
    await expectStatus(
      send(server, 'PATCH', api(`/${created.id}`), { token, body: { language: 'javascript' } }),
      200,
    );
    const asJs = await deploy(created.id, 'export default { run(input: number) { return input; } };');
    expect(asJs.status).toBe(400);
    expect(await server.headPosition()).toBe(head + 1); // only the language change was recorded
  });

  it('runs each version in the language it was deployed in, after the worker’s language changes', async () => {
    const created = await createWorker(
      server,
      token,
      projectId,
      { name: 'Switch', slug: 'switch', language: 'typescript' },
      'export default { run(): number { return 1; } };',
    );
    await expectStatus(
      send(server, 'PATCH', api(`/${created.id}`), { token, body: { language: 'javascript' } }),
      200,
    );
    await expectStatus(deploy(created.id, 'export default { run() { return 2; } };'), 201);
    expect((await expectStatus(run(created.id), 200)).json.result).toBe(2);
    await expectStatus(send(server, 'POST', api(`/${created.id}/versions/1/activate`), { token }), 200);
    expect((await expectStatus(run(created.id), 200)).json).toMatchObject({ outcome: 'ok', result: 1 });
    const versions = await expectStatus(send(server, 'GET', api(`/${created.id}/versions`), { token }), 200);
    expect((versions.json.items as unknown as { language: string }[]).map((v) => v.language)).toEqual([
      'javascript',
      'typescript',
    ]);
  });

  it('refuses an unknown language, naming the field', async () => {
    const refused = await send(server, 'POST', api(), {
      token,
      body: { name: 'Coffee', slug: 'coffee', language: 'coffeescript' },
    });
    expect(refused.status).toBe(400);
    expect((refused.json.errors as unknown as { field: string }[])[0]!.field).toBe('body.language');
  });
});
