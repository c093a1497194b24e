import { expect } from 'vitest';
import type { TestServer } from '../fixtures/testServer.ts';

export interface Sent {
  status: number;
  json: Record<string, unknown>;
  text: string;
  headers: Headers;
}

/** A request whose body is read once: status, parsed JSON (or `{}`), text, headers. */
export async function send(
  server: TestServer,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Sent> {
  const response = await server.request(method, path, options);
  const text = await response.text();
  let json: Sent['json'] = {};
  if (text && /json/.test(response.headers.get('content-type') ?? '')) json = JSON.parse(text);
  return { status: response.status, json, text, headers: response.headers };
}

/** Fails the test with the body when the status is not the expected one. */
export async function expectStatus(sent: Promise<Sent>, status: number): Promise<Sent> {
  const result = await sent;
  expect(result.status, result.text).toBe(status);
  return result;
}

export async function createProject(
  server: TestServer,
  token: string,
  slug: string,
): Promise<{ id: string; slug: string; apiKey: string }> {
  const created = await expectStatus(
    send(server, 'POST', '/api/v1/projects', { token, body: { name: slug, slug } }),
    201,
  );
  return created.json as unknown as { id: string; slug: string; apiKey: string };
}

export interface WorkerJson {
  id: string;
  slug: string;
  activeVersion: number | null;
  latestVersion: number;
  [k: string]: unknown;
}

/** Creates a worker and deploys `source` (when given); returns the worker as the API shows it. */
export async function createWorker(
  server: TestServer,
  token: string,
  projectId: string,
  body: Record<string, unknown>,
  source?: string,
): Promise<WorkerJson> {
  const created = await expectStatus(
    send(server, 'POST', `/api/v1/projects/${projectId}/workers`, { token, body }),
    201,
  );
  const worker = created.json as unknown as WorkerJson;
  if (source === undefined) return worker;
  const deployed = await expectStatus(
    send(server, 'POST', `/api/v1/projects/${projectId}/workers/${worker.id}/deploy`, {
      token,
      body: { source },
    }),
    201,
  );
  return (deployed.json as unknown as { worker: WorkerJson }).worker;
}

/** A module whose `run` handler has `body` (may use `input` and `await`). */
export const runBody = (body: string) => `export default {\n  async run(input) {\n${body}\n  },\n};\n`;
