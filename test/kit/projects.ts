import { expectStatus, send } from './http.ts';
import type { TestServer } from './server.ts';

/** Creating what HTTP suites need through the API, as a client would: a project, a worker. */

/** Creates a project as the holder of `token` (fails the test on anything but 201); its name is its slug. */
export async function createProject(
  server: TestServer,
  token: string,
  slug: string,
  body: { name?: string; color?: string | null } = {},
): Promise<{ id: string; slug: string; apiKey: string }> {
  const created = await expectStatus(
    send(server, 'POST', '/api/v1/projects', { token, body: { name: slug, slug, ...body } }),
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
