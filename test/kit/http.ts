import { expect } from 'vitest';
import type { TestServer } from './server.ts';

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

/** The problem+json body of a refused request (fails the test on any other content type). */
export async function problemOf(response: Response): Promise<{
  status: number;
  code: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as never;
}
