import { createHmac } from 'node:crypto';
import { hostname } from 'node:os';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookSender } from '../../application/webhooks/sender.ts';
import { PAYLOAD_DATA } from '../../infrastructure/http/webhookPayloads.ts';
import { outboundFetch } from '../../infrastructure/net/outboundFetch.ts';
import { expectStatus, send } from '../kit/http.ts';
import { createProject } from '../kit/projects.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';
import { startReceiver, type WebhookReceiver } from '../kit/webhookReceiver.ts';

/**
 * The `webhooks` module through a real server and real HTTP receivers on loopback ports: deliveries verified
 * with the official `standardwebhooks` package (not m3m's own code), rotation, retries on a shortened
 * schedule, the final failure, redelivery and recovery, 410, the outbound guard, and the module's gate.
 */

interface MessageJson {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  payload: { type: string; data: Record<string, unknown> };
  attemptLog: { statusCode: number | null; outcome: string; error: string | null; trigger: string }[];
}

describe('webhooks', () => {
  let server: TestServer;
  let root: string;
  let project: { id: string; slug: string; apiKey: string };
  let receiver: WebhookReceiver;

  const api = (method: string, path: string, body?: unknown, token: string | null = root) =>
    send(server, method, `/api/v1/projects/${project.id}${path}`, {
      token,
      ...(body === undefined ? {} : { body }),
    });

  async function createHook(body: Record<string, unknown>) {
    const created = await expectStatus(api('POST', '/webhooks', body), 201);
    return created.json as { id: string; secret: string } & Record<string, unknown>;
  }

  async function messages(webhookId: string, query = ''): Promise<MessageJson[]> {
    const listed = await expectStatus(api('GET', `/webhooks/${webhookId}/messages${query}`), 200);
    return listed.json.items as MessageJson[];
  }

  /** Polls the delivery log until `done` holds (deliveries are asynchronous). */
  async function until(webhookId: string, done: (items: MessageJson[]) => boolean, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const items = await messages(webhookId);
      if (done(items)) return items;
      if (Date.now() > deadline) throw new Error(`delivery log never got there: ${JSON.stringify(items)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const increment = (goal: string, by = 1) =>
    expectStatus(
      send(server, 'POST', `/api/v1/goals/${project.slug}-${goal}/increment`, {
        headers: { 'x-api-key': project.apiKey },
        body: { by },
      }),
      200,
    );

  beforeAll(async () => {
    server = await startTestServer({
      captureLogs: true,
      env: {
        M3M_ALLOW_PRIVATE_FETCH: 'true',
        M3M_WEBHOOKS_ALLOW_HTTP: 'true',
        M3M_WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,300ms',
      },
      open: { webhooks: { pollMs: 20 } },
    });
    root = await server.signInAsRoot();
    project = await createProject(server, root, 'hooked');
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
    await server?.close();
  });

  it('answers 403 module_disabled while the module is off, 404 to outsiders', async () => {
    const outsider = await server.createUser(root, { email: 'outsider@example.com' });
    const refused = await api('GET', '/webhooks');
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe('module_disabled');
    expect((await api('POST', '/webhooks', { url: receiver.url })).json.code).toBe('module_disabled');
    const hidden = await api('GET', '/webhooks', undefined, outsider.token);
    expect(hidden.status).toBe(404);
    expect(hidden.json.code).toBe('project_not_found');
    await expectStatus(api('POST', '/modules', { moduleCode: 'webhooks' }), 200);
    expect((await api('GET', '/webhooks', undefined, outsider.token)).status).toBe(404);
    await expectStatus(api('GET', '/webhooks'), 200);
  });

  it('delivers a goal increment that standardwebhooks verifies; unsubscribed types do not arrive', async () => {
    const hook = await createHook({
      url: receiver.url,
      eventTypes: ['goal.incremented'],
      description: 'CRM',
    });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    // goal.created is not subscribed: the definition sends nothing, the increments do.
    await expectStatus(api('POST', '/goals', { slug: 'signups', name: 'Signups', type: 'counter' }), 201);
    await increment('signups', 2);
    await increment('signups', 3);
    const [first, second] = await receiver.waitFor(2);
    const verifier = new Webhook(hook.secret);
    const payload = verifier.verify(first!.body, first!.headers as Record<string, string>) as {
      type: string;
      timestamp: string;
      data: Record<string, unknown>;
    };
    expect(payload).toMatchObject({
      type: 'goal.incremented',
      data: { projectId: project.id, slug: 'signups', by: 2, total: 2, source: 'api' },
    });
    expect(Number.isNaN(Date.parse(payload.timestamp))).toBe(false);
    // Exactly the fields the OpenAPI document's `webhooks` section promises, nothing internal besides.
    expect(() => PAYLOAD_DATA['goal.incremented']!.data.strict().parse(payload.data)).not.toThrow();
    expect(verifier.verify(second!.body, second!.headers as Record<string, string>)).toMatchObject({
      data: { by: 3, total: 5 },
    });
    expect(first!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(Math.abs(Number(first!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    // A wrong secret does not verify.
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(
        first!.body,
        first!.headers as Record<string, string>,
      ),
    ).toThrow();
    const log = await until(
      hook.id,
      (items) => items.length === 2 && items.every((m) => m.status === 'succeeded'),
    );
    expect(log.map((m) => m.eventType)).toEqual(['goal.incremented', 'goal.incremented']);
    expect(log[0]!.attemptLog).toMatchObject([
      { statusCode: 204, outcome: 'succeeded', trigger: 'scheduled' },
    ]);
    expect(receiver.received.every((r) => JSON.parse(r.body).type === 'goal.incremented')).toBe(true);
    await expectStatus(api('DELETE', `/webhooks/${hook.id}`), 204);
  });

  it('sends worker.invocation.failed for a failed invocation, without its error text', async () => {
    const hook = await createHook({ url: receiver.url, eventTypes: ['worker.invocation.failed'] });
    const worker = await expectStatus(
      api('POST', '/workers', { name: 'Fragile', slug: 'fragile', triggers: {} }),
      201,
    );
    const workerId = worker.json.id as string;
    await expectStatus(
      api('POST', `/workers/${workerId}/deploy`, {
        source:
          'export default { async run(input) { if (input.fail) throw new Error("token " + ["sk", "live", "123"].join("_") + " refused"); return 1; } };\n',
      }),
      201,
    );
    const before = receiver.received.length;
    const ok = await expectStatus(api('POST', `/workers/${workerId}/run`, { input: { fail: false } }), 200);
    expect(ok.json.outcome).toBe('ok');
    const failed = await expectStatus(
      api('POST', `/workers/${workerId}/run`, { input: { fail: true } }),
      200,
    );
    expect(failed.json.outcome).toBe('error');
    const [arrived] = (await receiver.waitFor(before + 1)).slice(before);
    const payload = new Webhook(hook.secret).verify(
      arrived!.body,
      arrived!.headers as Record<string, string>,
    ) as {
      type: string;
      data: Record<string, unknown>;
    };
    expect(payload).toMatchObject({
      type: 'worker.invocation.failed',
      data: {
        projectId: project.id,
        workerId,
        workerSlug: 'fragile',
        invocationId: failed.json.invocationId,
        handler: 'run',
        trigger: 'manual',
        outcome: 'error',
        eventId: null,
        scheduledAt: null,
      },
    });
    expect(() => PAYLOAD_DATA['worker.invocation.failed']!.data.strict().parse(payload.data)).not.toThrow();
    // The error text (which may hold what the worker had) is in neither the message nor the event log (the
    // deployed source, which is in the log, spells it otherwise).
    expect(arrived!.body).not.toContain('sk_live_123');
    const events = JSON.stringify(await server.m3m.eventStore.readAll({ fromPosition: 0, limit: 10_000 }));
    expect(events).not.toContain('sk_live_123');
    // The successful run made nothing: one message only.
    const log = await until(hook.id, (items) => items.length === 1 && items[0]!.status === 'succeeded');
    expect(log[0]!.eventType).toBe('worker.invocation.failed');
    await expectStatus(api('DELETE', `/webhooks/${hook.id}`), 204);
  });

  it('keeps an endpoint within its rate over two senders on one store (two processes)', async () => {
    // A second sender on the same read store, as a second m3m process runs one: its own owner, its own counts.
    const quiet = { info() {}, warn() {}, error() {} };
    const other = new WebhookSender({
      deps: server.m3m.webhooks.deps,
      fetcher: outboundFetch({
        allowPrivate: true,
        timeoutMs: 15_000,
        maxResponseBytes: 4096,
        truncateResponse: true,
        label: 'webhook delivery',
      }),
      logger: quiet,
      retrySchedule: [100],
      retentionDays: 7,
      pollMs: 20,
    });
    await other.start();
    const rated = await startReceiver();
    try {
      const hook = await createHook({ url: rated.url, eventTypes: ['goal.incremented'], rateLimit: 5 });
      await expectStatus(api('POST', '/goals', { slug: 'rated', name: 'Rated', type: 'counter' }), 201);
      for (let i = 0; i < 30; i++) await increment('rated');
      const arrived = await rated.waitFor(30, 30_000);
      // 30 sends at 5 per second over both senders start in at least 6 distinct seconds: more than 4 s from
      // the first to the last (each sender counting for itself, 10 per second, would need about 2).
      const span = arrived.at(-1)!.at - arrived[0]!.at;
      expect(span).toBeGreaterThan(3500);
      const perSecond = new Map<number, number>();
      for (const r of arrived)
        perSecond.set(Math.floor(r.at / 1000), (perSecond.get(Math.floor(r.at / 1000)) ?? 0) + 1);
      expect(perSecond.size).toBeGreaterThanOrEqual(5);
      expect(other.status().sent.succeeded).toBeGreaterThan(0);
      await expectStatus(api('DELETE', `/webhooks/${hook.id}`), 204);
    } finally {
      await other.stop();
      await rated.close();
    }
  }, 60_000);

  it('never shows a secret in events, logs, lists or reads', async () => {
    const hook = await createHook({ url: receiver.url });
    const listed = await expectStatus(api('GET', '/webhooks'), 200);
    const read = await expectStatus(api('GET', `/webhooks/${hook.id}`), 200);
    const rotated = await expectStatus(api('POST', `/webhooks/${hook.id}/secret`), 200);
    const secrets = [hook.secret, rotated.json.secret as string];
    const events = JSON.stringify(await server.m3m.eventStore.readAll({ fromPosition: 0, limit: 10_000 }));
    for (const secret of secrets) {
      const base64 = secret.slice('whsec_'.length);
      for (const text of [listed.text, read.text, events, server.logs.join('\n')]) {
        expect(text).not.toContain(base64);
      }
    }
    expect(Object.keys(read.json)).not.toContain('secret');
    expect(read.text).not.toMatch(/encrypted/i);
    await expectStatus(api('DELETE', `/webhooks/${hook.id}`), 204);
  });

  it('signs with both secrets for 24 hours after a rotation, then with the new one only', async () => {
    const hook = await createHook({ url: receiver.url, eventTypes: ['goal.created'] });
    const rotated = await expectStatus(api('POST', `/webhooks/${hook.id}/secret`), 200);
    const fresh = rotated.json.secret as string;
    expect(fresh).not.toBe(hook.secret);
    expect(Date.parse(rotated.json.previousSecretExpiresAt as string) - Date.now()).toBeGreaterThan(
      23.9 * 3600_000,
    );
    const before = receiver.received.length;
    const during = await expectStatus(api('POST', `/webhooks/${hook.id}/test`), 200);
    expect(during.json.attempt).toMatchObject({ statusCode: 204, outcome: 'succeeded', trigger: 'test' });
    const [overlap] = (await receiver.waitFor(before + 1)).slice(before);
    expect((overlap!.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    for (const secret of [hook.secret, fresh]) {
      expect(
        new Webhook(secret).verify(overlap!.body, overlap!.headers as Record<string, string>),
      ).toMatchObject({
        type: 'webhook.test',
      });
    }
    server.clock.advance(25 * 3600_000);
    try {
      root = await server.login(ROOT.email, ROOT.password); // the earlier token has expired a day later
      await expectStatus(api('POST', `/webhooks/${hook.id}/test`), 200);
      const [after] = (await receiver.waitFor(before + 2)).slice(before + 1);
      expect((after!.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);
      // standardwebhooks checks the timestamp against the real time, and m3m's clock is a day ahead here: the
      // signature is checked by hand, with the algorithm of the specification.
      const headers = after!.headers as Record<string, string>;
      const expected = (secret: string) =>
        `v1,${createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
          .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${after!.body}`)
          .digest('base64')}`;
      expect(headers['webhook-signature']).toBe(expected(fresh));
      expect(headers['webhook-signature']).not.toBe(expected(hook.secret));
    } finally {
      server.clock.advance(-25 * 3600_000);
      root = await server.login(ROOT.email, ROOT.password);
    }
    await expectStatus(api('DELETE', `/webhooks/${hook.id}`), 204);
  });

  it('retries on the schedule until the receiver recovers, then fails for good when it never does', async () => {
    const flaky = await startReceiver();
    try {
      // Down (a refused connection) is the same as 500 for m3m: both are failed attempts.
      flaky.respond = (index) => ({ status: index < 2 ? 500 : 204 });
      const hook = await createHook({ url: flaky.url, eventTypes: ['goal.created'] });
      await expectStatus(api('POST', '/goals', { slug: 'orders', name: 'Orders', type: 'counter' }), 201);
      const [done] = await until(hook.id, (items) => items[0]?.status === 'succeeded');
      expect(done!.attempts).toBe(3);
      expect(done!.attemptLog.map((a) => a.statusCode)).toEqual([204, 500, 500]);
      const ids = new Set(flaky.received.map((r) => r.headers['webhook-id']));
      expect(ids.size).toBe(1); // the same webhook-id on every attempt
      const gaps = flaky.received.slice(1).map((r, i) => r.at - flaky.received[i]!.at);
      expect(gaps[0]).toBeGreaterThanOrEqual(90);
      expect(gaps[1]).toBeGreaterThanOrEqual(180);

      // Never recovers: 1 attempt + 3 retries, then failed.
      flaky.respond = () => ({ status: 503, body: 'x'.repeat(10_000) });
      await expectStatus(api('POST', '/goals', { slug: 'refunds', name: 'Refunds', type: 'counter' }), 201);
      const failedLog = await until(hook.id, (items) => items[0]?.status === 'failed');
      expect(failedLog[0]!.attempts).toBe(4);
      expect(failedLog[0]!.attemptLog[0]!.error).toBe('the receiver answered 503');
      const body = (failedLog[0]!.attemptLog[0] as unknown as { responseBody: string }).responseBody;
      expect(body.length).toBe(4096);
      const onlyFailed = await messages(hook.id, '?status=failed');
      expect(onlyFailed.map((m) => m.id)).toEqual([failedLog[0]!.id]);

      // Recover since a time before it: sent again, acknowledged once.
      flaky.respond = () => ({ status: 200 });
      const since = new Date(Date.now() - 60_000).toISOString();
      await expectStatus(api('POST', `/webhooks/${hook.id}/recover`, { since }), 202);
      const recovered = await until(hook.id, (items) => items.every((m) => m.status === 'succeeded'));
      expect(recovered[0]!.attempts).toBe(5);

      // Redeliver one acknowledged message: the same webhook-id arrives again.
      const count = flaky.received.length;
      await expectStatus(api('POST', `/webhooks/${hook.id}/messages/${recovered[1]!.id}/redeliver`), 202);
      const [again] = (await flaky.waitFor(count + 1)).slice(count);
      expect(again!.headers['webhook-id']).toBe(recovered[1]!.id);
      const missing = await api('POST', `/webhooks/${hook.id}/messages/msg_nope/redeliver`);
      expect(missing.status).toBe(404);
      expect(missing.json.code).toBe('webhook_message_not_found');
      await expectStatus(api('DELETE', `/webhooks/${hook.id}`), 204);
    } finally {
      await flaky.close();
    }
  });

  it('disables an endpoint that answers 410, and a disabled endpoint is sent nothing', async () => {
    const gone = await startReceiver();
    try {
      gone.respond = () => ({ status: 410 });
      const hook = await createHook({ url: gone.url, eventTypes: ['goal.created'] });
      await expectStatus(api('POST', '/goals', { slug: 'visits', name: 'Visits', type: 'counter' }), 201);
      await until(hook.id, (items) => items[0]?.status === 'failed');
      const deadline = Date.now() + 5000;
      let read = await expectStatus(api('GET', `/webhooks/${hook.id}`), 200);
      while (read.json.enabled !== false && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        read = await expectStatus(api('GET', `/webhooks/${hook.id}`), 200);
      }
      expect(read.json).toMatchObject({ enabled: false, disabledReason: 'gone' });
      expect(gone.received).toHaveLength(1);
      await expectStatus(api('POST', '/goals', { slug: 'clicks', name: 'Clicks', type: 'counter' }), 201);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(gone.received).toHaveLength(1);
      expect(await messages(hook.id)).toHaveLength(1);
    } finally {
      await gone.close();
    }
  });

  it('refuses private targets at send time unless M3M_ALLOW_PRIVATE_FETCH allows them', async () => {
    const guarded = await startTestServer({
      env: { M3M_WEBHOOKS_ALLOW_HTTP: 'true' },
      open: { webhooks: { pollMs: 20 } },
    });
    try {
      const token = await guarded.signInAsRoot();
      const p = await createProject(guarded, token, 'guarded');
      await expectStatus(
        send(guarded, 'POST', `/api/v1/projects/${p.id}/modules`, {
          token,
          body: { moduleCode: 'webhooks' },
        }),
        200,
      );
      const before = receiver.received.length;
      // A literal loopback address, and a host name that resolves to one.
      for (const url of [receiver.url, `http://${hostname()}:${receiver.port}/hook`]) {
        const created = await expectStatus(
          send(guarded, 'POST', `/api/v1/projects/${p.id}/webhooks`, { token, body: { url } }),
          201,
        );
        const tested = await expectStatus(
          send(guarded, 'POST', `/api/v1/projects/${p.id}/webhooks/${created.json.id}/test`, { token }),
          200,
        );
        expect(tested.json.attempt).toMatchObject({ statusCode: null, outcome: 'failed' });
        expect((tested.json.attempt as { error: string }).error).toMatch(/refuses private, loopback/);
      }
      expect(receiver.received.length).toBe(before);
    } finally {
      await guarded.close();
    }
  });

  it('validates endpoints and names the field', async () => {
    const http = await startTestServer({ open: { webhooks: { pollMs: 20 } } });
    try {
      const token = await http.signInAsRoot();
      const p = await createProject(http, token, 'strict');
      await expectStatus(
        send(http, 'POST', `/api/v1/projects/${p.id}/modules`, { token, body: { moduleCode: 'webhooks' } }),
        200,
      );
      const plain = await send(http, 'POST', `/api/v1/projects/${p.id}/webhooks`, {
        token,
        body: { url: 'http://example.com/hook' },
      });
      expect(plain.status).toBe(400);
      expect(plain.json.errors).toMatchObject([{ field: 'body.url', code: 'invalid_webhook_url' }]);
    } finally {
      await http.close();
    }
    const badType = await api('POST', '/webhooks', { url: receiver.url, eventTypes: ['user.created'] });
    expect(badType.status).toBe(400);
    expect(badType.json.errors).toMatchObject([
      { field: 'body.eventTypes', code: 'invalid_webhook_event_type' },
    ]);
    const badRate = await api('POST', '/webhooks', { url: receiver.url, rateLimit: 0 });
    expect(badRate.status).toBe(400);
    expect(JSON.stringify(badRate.json.errors)).toContain('body.rateLimit');
    const custom = await createHook({
      url: receiver.url,
      eventTypes: ['custom.OrderPlaced', 'project.updated'],
    });
    expect(custom.eventTypes).toEqual(['custom.OrderPlaced', 'project.updated']);
    const patched = await expectStatus(api('PATCH', `/webhooks/${custom.id}`, { enabled: false }), 200);
    expect(patched.json.enabled).toBe(false);
    await expectStatus(api('DELETE', `/webhooks/${custom.id}`), 204);
    expect((await api('GET', `/webhooks/${custom.id}`)).json.code).toBe('webhook_not_found');
  });
});
