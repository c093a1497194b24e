import { expect } from 'vitest';
import type { TestServer } from '../kit/server.ts';

/** Setting the stage through the API (what the walk is not about), as the UI would leave it. */
export async function createProject(
  server: TestServer,
  token: string,
  body: { name: string; slug: string; color?: string },
): Promise<{ id: string; apiKey: string }> {
  const response = await server.request('POST', '/api/v1/projects', { token, body });
  const json = (await response.json()) as { id: string; apiKey: string };
  expect(response.status, JSON.stringify(json)).toBe(201);
  return json;
}

export async function defineGoal(
  server: TestServer,
  token: string,
  projectId: string,
  body: { name: string; slug: string; type: 'counter' | 'daily_counter'; color?: string },
): Promise<{ id: string; slug: string }> {
  const response = await server.request('POST', `/api/v1/projects/${projectId}/goals`, { token, body });
  const json = (await response.json()) as { id: string; slug: string };
  expect(response.status, JSON.stringify(json)).toBe(201);
  return json;
}

export async function grantAccess(server: TestServer, token: string, userId: string, projectId: string) {
  const response = await server.request('POST', `/api/v1/users/${userId}/projects`, {
    token,
    body: { projectId },
  });
  expect(response.status).toBe(200);
}
