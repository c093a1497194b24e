import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUT_MAX_BYTES, REDACTED, storedInput } from '../../application/runtime/invocationInput.ts';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { runBody } from '../kit/sandbox.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

describe('the input an invocation record keeps', () => {
  it('is the JSON of the input, null without one', () => {
    expect(storedInput({ a: 1 }, { http: false, secrets: [] })).toEqual({
      input: '{"a":1}',
      inputTruncated: false,
    });
    expect(storedInput(undefined, { http: false, secrets: [] })).toEqual({
      input: null,
      inputTruncated: false,
    });
  });

  it('is cut at 16 KiB on a character boundary, with a marker', () => {
    const stored = storedInput({ text: 'ж'.repeat(INPUT_MAX_BYTES) }, { http: false, secrets: [] });
    expect(stored.inputTruncated).toBe(true);
    const [kept, marker] = (stored.input ?? '').split('…[truncated: ');
    expect(Buffer.byteLength(kept ?? '')).toBeLessThanOrEqual(INPUT_MAX_BYTES);
    expect(kept).not.toContain('\uFFFD');
    expect(marker).toBe(`${INPUT_MAX_BYTES * 2 + 11} bytes in all]`);
  });

  it('leaves an HTTP URL without credentials as it was called', () => {
    const url = 'http://h/run/p/w?q=a%20b&page=2';
    const stored = storedInput(
      { url, query: { q: 'a b', page: '2' }, headers: {} },
      { http: true, secrets: [] },
    );
    expect(JSON.parse(stored.input ?? '').url).toBe(url);
  });

  it("replaces the project's secret values anywhere, longest first", () => {
    const stored = storedInput(
      { note: 'key is abc-123-xyz', abc: ['abc'] },
      { http: false, secrets: ['abc-123-xyz', 'abc'] },
    );
    expect(JSON.parse(stored.input ?? '')).toEqual({
      note: `key is ${REDACTED}`,
      [REDACTED]: [REDACTED],
    });
  });
});

describe('invocation records over HTTP keep the input, redacted', () => {
  let server: TestServer;
  let owner: string;
  let project: { id: string; slug: string; apiKey: string };
  const record = async (id: string | null) =>
    (
      await expectStatus(
        send(server, 'GET', `/api/v1/projects/${project.id}/invocations/${id}`, { token: owner }),
        200,
      )
    ).json as { input: string | null; inputTruncated: boolean; trigger: string };

  beforeAll(async () => {
    server = await startTestServer();
    const root = await server.signInAsRoot();
    owner = (await server.createUser(root, { email: 'owner@example.com', permissions: ['create_projects'] }))
      .token;
    project = await createProject(server, owner, 'shop');
    await expectStatus(
      send(server, 'PUT', `/api/v1/projects/${project.id}/environment/SHARED_SECRET`, {
        token: owner,
        body: { value: 'whsec-7f3a9c1e', secret: true },
      }),
      200,
    );
  });
  afterAll(() => server.close());

  it('HTTP trigger: credential headers and query parameters, and secret values, read [redacted]', async () => {
    await createWorker(
      server,
      owner,
      project.id,
      { name: 'Echo', slug: 'echo', triggers: { http: true } },
      'export default { async fetch(request) { return { ok: true }; } };',
    );
    const response = await fetch(`${server.base}/run/shop/echo/orders?page=2&access_token=t0k3n`, {
      method: 'POST',
      headers: {
        'x-api-key': project.apiKey,
        authorization: 'Bearer eyJhbGciOi.secret.part',
        'x-hub-signature-256': 'sha256=abcdef',
        'x-request-id': 'req-1',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ order: 42, echo: 'whsec-7f3a9c1e' }),
    });
    expect(response.status).toBe(200);
    const stored = await record(response.headers.get('x-m3m-invocation-id'));
    expect(stored.trigger).toBe('http');
    expect(stored.inputTruncated).toBe(false);
    const input = JSON.parse(stored.input ?? 'null') as {
      url: string;
      query: Record<string, string>;
      headers: Record<string, string>;
      body: string;
    };
    expect(input.headers.authorization).toBe(REDACTED);
    expect(input.headers['x-hub-signature-256']).toBe(REDACTED);
    expect(input.headers['x-request-id']).toBe('req-1');
    expect(input.headers).not.toHaveProperty('x-api-key');
    expect(input.query).toEqual({ page: '2', access_token: REDACTED });
    expect(input.url).not.toContain('t0k3n');
    expect(JSON.parse(input.body)).toEqual({ order: 42, echo: REDACTED });
    for (const secret of ['eyJhbGciOi', 'abcdef', 't0k3n', 'whsec-7f3a9c1e', project.apiKey]) {
      expect(stored.input).not.toContain(secret);
    }
  });

  it('run now keeps the JSON input, and none when there was none', async () => {
    const worker = await createWorker(
      server,
      owner,
      project.id,
      { name: 'Run', slug: 'run' },
      runBody('return 1;'),
    );
    const runWith = async (body: object) =>
      (
        await expectStatus(
          send(server, 'POST', `/api/v1/projects/${project.id}/workers/${worker.id}/run`, {
            token: owner,
            body,
          }),
          200,
        )
      ).json as { invocationId: string };
    const withInput = await runWith({ input: { orderId: 7, items: ['a'] } });
    expect((await record(withInput.invocationId)).input).toBe('{"orderId":7,"items":["a"]}');
    const without = await runWith({});
    expect(await record(without.invocationId)).toMatchObject({ input: null, inputTruncated: false });
  });
});
