import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { runBody } from '../kit/sandbox.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Worker data seen from outside the workers: collections with counts, documents paged and filtered, deletes; and
 * models — a JSON Schema per collection, recorded as events, enforced on every worker write, typed in the
 * project's runtime.d.ts.
 */
describe('collections and data models', () => {
  let server: TestServer;
  let owner: string;
  let member: string;
  let outsider: string;
  let projectId: string;
  let writer: string;
  const api = (path = '') => `/api/v1/projects/${projectId}/collections${path}`;

  beforeAll(async () => {
    server = await startTestServer();
    const root = await server.signInAsRoot();
    owner = (await server.createUser(root, { email: 'owner@example.com', permissions: ['create_projects'] }))
      .token;
    const memberUser = await server.createUser(root, { email: 'member@example.com' });
    member = memberUser.token;
    outsider = (await server.createUser(root, { email: 'outsider@example.com' })).token;
    projectId = (await createProject(server, owner, 'shop')).id;
    await expectStatus(
      send(server, 'POST', `/api/v1/projects/${projectId}/members`, {
        token: owner,
        body: { userId: memberUser.user.id },
      }),
      200,
    );
    writer = (
      await createWorker(
        server,
        owner,
        projectId,
        { name: 'Writer', slug: 'writer' },
        runBody(`
          const orders = m3m.models.collection('orders');
          try {
            if (input.op === 'insert') return await orders.insert(input.doc);
            if (input.op === 'update') return await orders.update(input.id, input.changes);
          } catch (e) { return { error: e.name + ': ' + e.message }; }`),
      )
    ).id;
  });
  afterAll(() => server.close());

  const write = async (input: unknown) =>
    (
      await expectStatus(
        send(server, 'POST', `/api/v1/projects/${projectId}/workers/${writer}/run`, {
          token: owner,
          body: { input },
        }),
        200,
      )
    ).json.result as Record<string, unknown>;

  it('lists the collections workers wrote, and their documents paged, filtered and sorted', async () => {
    for (const [id, total, status] of [
      ['o1', 10, 'open'],
      ['o2', 30, 'open'],
      ['o3', 20, 'paid'],
      ['o4', 40, 'open'],
    ] as const) {
      expect(await write({ op: 'insert', doc: { id, total, status } })).toMatchObject({ id });
    }
    const collections = await expectStatus(send(server, 'GET', api(), { token: member }), 200);
    expect(collections.json.items).toEqual([{ name: 'orders', documents: 4, hasModel: false }]);

    const filter = encodeURIComponent(JSON.stringify({ status: 'open' }));
    const first = await expectStatus(
      send(server, 'GET', api(`/orders/documents?filter=${filter}&sort=-total&limit=2`), { token: member }),
      200,
    );
    expect((first.json.items as unknown as { id: string }[]).map((d) => d.id)).toEqual(['o4', 'o2']);
    const next = await expectStatus(
      send(
        server,
        'GET',
        api(`/orders/documents?filter=${filter}&sort=-total&limit=2&cursor=${first.json.nextCursor}`),
        { token: member },
      ),
      200,
    );
    expect(next.json).toMatchObject({ items: [{ id: 'o1', total: 10, status: 'open' }], nextCursor: null });
    // A cursor is good only for the query that gave it.
    const otherQuery = await send(
      server,
      'GET',
      api(`/orders/documents?sort=total&cursor=${first.json.nextCursor}`),
      {
        token: member,
      },
    );
    expect(otherQuery.json.errors).toMatchObject([{ field: 'querystring.cursor', code: 'invalid_cursor' }]);
    const one = await expectStatus(send(server, 'GET', api('/orders/documents/o3'), { token: member }), 200);
    expect(one.json).toEqual({ id: 'o3', total: 20, status: 'paid' });
  });

  it('refuses bad names, filters and sorts naming the field; outsiders see nothing', async () => {
    const name = await send(server, 'GET', api('/Orders/documents'), { token: member });
    expect(name.status).toBe(400);
    expect((name.json.errors as unknown as { field: string }[])[0]!.field).toBe('params.collection');
    const filter = await send(server, 'GET', api('/orders/documents?filter=%7Bnope'), { token: member });
    expect(filter.status).toBe(400);
    expect(filter.json.errors).toMatchObject([{ field: 'querystring.filter', code: 'invalid_filter' }]);
    const operator = await send(
      server,
      'GET',
      api(`/orders/documents?filter=${encodeURIComponent('{"total":{"$where":1}}')}`),
      { token: member },
    );
    expect(operator.json.errors).toMatchObject([{ field: 'querystring.filter' }]);
    const sort = await send(server, 'GET', api('/orders/documents?sort=_id'), { token: member });
    expect(sort.json.errors).toMatchObject([{ field: 'querystring.sort', code: 'invalid_sort' }]);
    for (const path of ['', '/orders/documents', '/orders/documents/o1', '/orders/schema']) {
      expect((await send(server, 'GET', api(path), { token: outsider })).status).toBe(404);
    }
    expect((await send(server, 'GET', api('/orders/documents/nope'), { token: member })).json).toMatchObject({
      code: 'document_not_found',
    });
  });

  it('lets the owner delete a document, not a member', async () => {
    const refused = await send(server, 'DELETE', api('/orders/documents/o3'), { token: member });
    expect(refused.status).toBe(403);
    await expectStatus(send(server, 'DELETE', api('/orders/documents/o3'), { token: owner }), 204);
    expect((await send(server, 'GET', api('/orders/documents/o3'), { token: owner })).status).toBe(404);
    expect((await send(server, 'DELETE', api('/orders/documents/o3'), { token: owner })).status).toBe(404);
  });

  const ORDER_SCHEMA = {
    type: 'object',
    description: 'An order placed in the shop',
    properties: {
      total: { type: 'number', minimum: 0, description: 'In cents' },
      status: { enum: ['open', 'paid'] },
      items: { type: 'array', items: { type: 'string' } },
    },
    required: ['total', 'status'],
    additionalProperties: false,
  };

  it('refuses a schema that is not a usable JSON Schema of an object, recording nothing', async () => {
    const head = await server.headPosition();
    for (const schema of [
      { type: 'array' },
      { type: 'object', properties: { a: { type: 'strung' } } },
      { type: 'object', colour: 'red' },
      { type: 'object', properties: { a: { $ref: 'https://example.com/a.json' } } },
    ]) {
      const refused = await send(server, 'PUT', api('/orders/schema'), { token: owner, body: { schema } });
      expect(refused.status).toBe(400);
      expect(refused.json.errors).toMatchObject([{ field: 'body.schema', code: 'invalid_model_schema' }]);
    }
    const member403 = await send(server, 'PUT', api('/orders/schema'), {
      token: member,
      body: { schema: ORDER_SCHEMA },
    });
    expect(member403.status).toBe(403);
    expect(await server.headPosition()).toBe(head);
    expect((await send(server, 'GET', api('/orders/schema'), { token: member })).json).toMatchObject({
      code: 'model_not_found',
    });
  });

  it('records a model as an event and enforces it on every worker write', async () => {
    const head = await server.headPosition();
    const defined = await expectStatus(
      send(server, 'PUT', api('/orders/schema'), { token: owner, body: { schema: ORDER_SCHEMA } }),
      200,
    );
    expect(defined.json).toMatchObject({ name: 'orders', schema: ORDER_SCHEMA });
    const [event] = await server.m3m.eventStore.readAll({ fromPosition: head, limit: 10 });
    expect(event).toMatchObject({ type: 'DataModelDefined', data: { projectId, name: 'orders' } });
    // The same schema again records nothing.
    await expectStatus(
      send(server, 'PUT', api('/orders/schema'), { token: owner, body: { schema: ORDER_SCHEMA } }),
      200,
    );
    expect(await server.headPosition()).toBe(head + 1);

    expect(await write({ op: 'insert', doc: { total: -1, status: 'lost', colour: 'red' } })).toEqual({
      error: expect.stringMatching(
        /^ValidationError: the document does not match the model of "orders": .*\/total must be >= 0.*\/status must be equal to one of the allowed values/,
      ),
    });
    expect(await write({ op: 'insert', doc: { id: 'o9', total: 5, status: 'open' } })).toMatchObject({
      id: 'o9',
    });
    // An update that breaks the model leaves the document as it was.
    expect(await write({ op: 'update', id: 'o9', changes: { total: 'many' } })).toEqual({
      error: expect.stringMatching(/^ValidationError: .*\/total must be number/),
    });
    expect((await send(server, 'GET', api('/orders/documents/o9'), { token: owner })).json).toEqual({
      id: 'o9',
      total: 5,
      status: 'open',
    });
    const collections = await expectStatus(send(server, 'GET', api(), { token: member }), 200);
    expect(collections.json.items).toEqual([{ name: 'orders', documents: 4, hasModel: true }]);
  });

  it('types the model in runtime.d.ts: a right call checks, a wrong field is an error', async () => {
    const dts = await expectStatus(
      send(server, 'GET', `/api/v1/projects/${projectId}/runtime.d.ts`, { token: member }),
      200,
    );
    expect(dts.text).toContain('/** An order placed in the shop */');
    const diagnostics = await typeCheck(dts.text, [
      "const orders = m3m.models.collection('orders');",
      "const o = await orders.insert({ total: 5, status: 'paid', items: ['a'] });",
      'const cents: number = o.total;',
      "await orders.insert({ total: 5, status: 'lost' });",
      "await orders.insert({ total: 5, status: 'open', colour: 'red' });",
      "await orders.update('o1', { total: 'many' });",
      "const free = await m3m.models.collection('notes').insert({ anything: [1, 'two'] });",
      'export {};',
    ]);
    expect(diagnostics.map((d) => d.line)).toEqual([4, 5, 6]);
  });

  it('removes a model: documents stay, writes go unchecked again', async () => {
    await expectStatus(send(server, 'DELETE', api('/orders/schema'), { token: owner }), 204);
    expect(await write({ op: 'insert', doc: { id: 'free', total: 'any' } })).toMatchObject({ id: 'free' });
    expect((await send(server, 'DELETE', api('/orders/schema'), { token: owner })).json).toMatchObject({
      code: 'model_not_found',
    });
  });
});

/** Type-checks a worker body (top-level await) against the declarations; errors with their 1-based line. */
async function typeCheck(dts: string, lines: string[]): Promise<{ line: number; message: string }[]> {
  const dir = await mkdtemp(join(tmpdir(), 'm3m-dts-'));
  await writeFile(join(dir, 'runtime.d.ts'), dts);
  await writeFile(join(dir, 'worker.ts'), lines.join('\n'));
  const program = ts.createProgram([join(dir, 'runtime.d.ts'), join(dir, 'worker.ts')], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: [],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName.endsWith('worker.ts'))
    .map((d) => ({
      line: d.file!.getLineAndCharacterOfPosition(d.start!).line + 1,
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    }));
}
