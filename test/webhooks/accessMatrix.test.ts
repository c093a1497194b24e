import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../kit/http.ts';
import { createProject } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';
import { startReceiver, type WebhookReceiver } from '../kit/webhookReceiver.ts';

/**
 * Every webhook route × every kind of caller → the exact status (issue 15): the owner and global admins
 * change, members read, outsiders get 404 (the project is not revealed), the project's API key and anonymous
 * callers 401 (these routes take a bearer token only). In a project without the module every caller who can
 * see it gets 403 `module_disabled`.
 */
const CALLERS = ['anonymous', 'apiKey', 'owner', 'member', 'admin', 'outsider'] as const;
type Caller = (typeof CALLERS)[number];

//                                                                   anon key owner member admin outsider
const ROUTES: [route: string, ...statuses: number[]][] = [
  ['POST /webhooks', /*                                           */ 401, 401, 201, 403, 201, 404],
  ['GET /webhooks', /*                                            */ 401, 401, 200, 200, 200, 404],
  ['GET /webhooks/{webhookId}', /*                                */ 401, 401, 200, 200, 200, 404],
  ['PATCH /webhooks/{webhookId}', /*                              */ 401, 401, 200, 403, 200, 404],
  ['DELETE /webhooks/{webhookId}', /*                             */ 401, 401, 204, 403, 204, 404],
  ['POST /webhooks/{webhookId}/secret', /*                        */ 401, 401, 200, 403, 200, 404],
  ['POST /webhooks/{webhookId}/test', /*                          */ 401, 401, 200, 403, 200, 404],
  ['GET /webhooks/{webhookId}/messages', /*                       */ 401, 401, 200, 200, 200, 404],
  ['POST /webhooks/{webhookId}/messages/{messageId}/redeliver', /**/ 401, 401, 202, 403, 202, 404],
  ['POST /webhooks/{webhookId}/recover', /*                       */ 401, 401, 202, 403, 202, 404],
];
const CELLS = ROUTES.flatMap(([route, ...statuses]) =>
  CALLERS.map((caller, i) => ({ route, caller, status: statuses[i]! })),
);
const CODES: Record<number, string> = {
  401: 'unauthorized',
  403: 'not_project_manager',
  404: 'project_not_found',
};

const BODIES: Record<string, unknown> = {
  'POST /webhooks': { eventTypes: ['goal.created'] },
  'PATCH /webhooks/{webhookId}': { description: 'changed' },
  'POST /webhooks/{webhookId}/recover': { since: '2026-01-01T00:00:00Z' },
};

describe('webhooks: route × caller matrix', () => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  const tokens = {} as Record<Caller, string | null>;
  let projectId: string;
  let offProjectId: string;
  let apiKey: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    server = await startTestServer({
      env: { M3M_ALLOW_PRIVATE_FETCH: 'true', M3M_WEBHOOKS_ALLOW_HTTP: 'true' },
      open: { webhooks: { pollMs: 20 } },
    });
    tokens.admin = await server.signInAsRoot();
    tokens.anonymous = null;
    tokens.apiKey = null;
    const owner = await server.createUser(tokens.admin, {
      email: 'owner@example.com',
      permissions: ['create_projects'],
    });
    const member = await server.createUser(tokens.admin, { email: 'member@example.com' });
    const outsider = await server.createUser(tokens.admin, { email: 'outsider@example.com' });
    tokens.owner = owner.token;
    tokens.member = member.token;
    tokens.outsider = outsider.token;
    for (const name of ['on', 'off']) {
      const p = await createProject(server, owner.token, `hooks-${name}`);
      const added = await send(server, 'POST', `/api/v1/projects/${p.id}/members`, {
        token: owner.token,
        body: { userId: member.user.id },
      });
      expect(added.status, added.text).toBeLessThan(300);
      if (name === 'on') {
        projectId = p.id;
        apiKey = p.apiKey;
        const enabled = await send(server, 'POST', `/api/v1/projects/${p.id}/modules`, {
          token: tokens.admin,
          body: { moduleCode: 'webhooks' },
        });
        expect(enabled.status, enabled.text).toBe(200);
      } else offProjectId = p.id;
    }
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  /** A fresh endpoint (and a settled test message) per cell, so no cell depends on another. */
  async function fixture(project: string) {
    const created = await send(server, 'POST', `/api/v1/projects/${project}/webhooks`, {
      token: tokens.admin,
      body: { url: receiver.url },
    });
    expect(created.status, created.text).toBe(201);
    const webhookId = created.json.id as string;
    const tested = await send(server, 'POST', `/api/v1/projects/${project}/webhooks/${webhookId}/test`, {
      token: tokens.admin,
    });
    expect(tested.status, tested.text).toBe(200);
    return { webhookId, messageId: tested.json.messageId as string };
  }

  function call(
    route: string,
    caller: Caller,
    project: string,
    ids: { webhookId: string; messageId: string },
  ) {
    const [method, path] = route.split(' ') as [string, string];
    const url = `/api/v1/projects/${project}${path.replace('{webhookId}', ids.webhookId).replace('{messageId}', ids.messageId)}`;
    const body =
      route === 'POST /webhooks' ? { url: receiver.url, ...(BODIES[route] as object) } : BODIES[route];
    return send(server, method, url, {
      token: tokens[caller],
      ...(caller === 'apiKey' ? { headers: { 'x-api-key': apiKey } } : {}),
      ...(body === undefined ? {} : { body }),
    });
  }

  it.each(CELLS)('$route as $caller → $status', async ({ route, caller, status }) => {
    const ids = await fixture(projectId);
    const answer = await call(route, caller, projectId, ids);
    expect(answer.status, answer.text).toBe(status);
    if (status >= 400) expect(answer.json.code).toBe(CODES[status]);
  });

  it.each(ROUTES.map(([route]) => route))(
    '%s where the module is off: 403 module_disabled, 404 to outsiders',
    async (route) => {
      // The module was on when the endpoint was made, then switched off.
      const enable = (on: boolean) =>
        send(
          server,
          on ? 'POST' : 'DELETE',
          `/api/v1/projects/${offProjectId}/modules${on ? '' : '/webhooks'}`,
          {
            token: tokens.admin,
            ...(on ? { body: { moduleCode: 'webhooks' } } : {}),
          },
        );
      expect((await enable(true)).status).toBe(200);
      const ids = await fixture(offProjectId);
      expect((await enable(false)).status).toBe(200);
      for (const caller of ['owner', 'member', 'admin'] as const) {
        const answer = await call(route, caller, offProjectId, ids);
        expect(answer.status, `${caller}: ${answer.text}`).toBe(403);
        expect(answer.json.code).toBe('module_disabled');
      }
      const hidden = await call(route, 'outsider', offProjectId, ids);
      expect(hidden.status).toBe(404);
    },
  );
});
