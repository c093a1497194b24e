import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, send } from '../kit/http.ts';
import { BROKEN_PLUGINS, writePluginsDir } from '../kit/plugins.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { runBody } from '../kit/sandbox.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../kit/smtpReceiver.ts';

/**
 * Plugins as workers see them, through the real server, the real module switches and the real sandbox
 * runtime process: the API of a plugin exists in a project's workers only while its module is on there.
 * The server also loads a plugin folder (M3M_PLUGINS_DIR) full of broken plugins and one good one.
 */
describe('plugins in workers', () => {
  let server: TestServer;
  let smtp: SmtpReceiver;
  let pluginsDir: string;
  let root: string;
  let on: { id: string; slug: string };
  let off: { id: string; slug: string };

  const enable = (projectId: string, moduleCode: string, extra: Record<string, unknown> = {}) =>
    expectStatus(
      send(server, 'POST', `/api/v1/projects/${projectId}/modules`, {
        token: root,
        body: { moduleCode, ...extra },
      }),
      200,
    );
  const run = async (projectId: string, slug: string, body: string) => {
    const worker = await createWorker(server, root, projectId, { name: slug, slug }, runBody(body));
    const result = await expectStatus(
      send(server, 'POST', `/api/v1/projects/${projectId}/workers/${worker.id}/run`, {
        token: root,
        body: {},
      }),
      200,
    );
    return result.json as { outcome: string; result?: unknown; error?: { name: string; message: string } };
  };

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    pluginsDir = await writePluginsDir();
    server = await startTestServer({
      env: {
        M3M_PLUGINS_DIR: pluginsDir,
        M3M_SMTP_URL: smtp.url,
        M3M_SMTP_FROM: 'Shop <shop@example.com>',
      },
    });
    root = await server.signInAsRoot();
    on = await createProject(server, root, 'with-plugins');
    off = await createProject(server, root, 'without-plugins');
    await enable(on.id, 'crypto');
    await enable(on.id, 'mail');
    await enable(on.id, 'greeter');
    await enable(on.id, 'untyped');
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
    await rm(pluginsDir, { recursive: true, force: true });
  });

  it('crypto works in a worker of a project where the module is active', async () => {
    const result = await run(
      on.id,
      'hashes',
      `return {
        kind: typeof m3m.crypto,
        sha: await m3m.crypto.sha256('abc'),
        hmac: await m3m.crypto.hmacSha256('Jefe', 'what do ya want for nothing?', 'base64'),
        uuid: await m3m.crypto.uuid(),
        bytes: (await m3m.crypto.randomBytes(12)).length,
      };`,
    );
    expect(result).toMatchObject({
      outcome: 'ok',
      result: {
        kind: 'object',
        sha: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        hmac: 'W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=',
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        bytes: 16, // 12 bytes in base64
      },
    });
  });

  it("a plugin function's argument error reaches the worker as a catchable TypeError", async () => {
    const result = await run(
      on.id,
      'bad-args',
      `try { await m3m.crypto.randomBytes(5000); return 'no error'; }
       catch (e) { return { name: e.name, message: e.message }; }`,
    );
    expect(result.result).toEqual({
      name: 'TypeError',
      message: 'size must be an integer from 1 to 1024, got 5000',
    });
  });

  it('the plugin APIs are absent, not failing, in a project where their modules are off', async () => {
    const result = await run(
      off.id,
      'absent',
      `return { crypto: typeof m3m.crypto, mail: typeof m3m.mail, greeter: typeof m3m.greeter, goals: typeof m3m.goals };`,
    );
    expect(result).toMatchObject({
      outcome: 'ok',
      result: { crypto: 'undefined', mail: 'undefined', greeter: 'undefined', goals: 'object' },
    });
    const call = await run(off.id, 'absent-call', 'return await m3m.crypto.sha256("x");');
    expect(call.outcome).toBe('error');
    expect(call.error?.name).toBe('TypeError');
  });

  it("the project's runtime.d.ts declares only its active plugins' functions", async () => {
    const withPlugins = await expectStatus(
      send(server, 'GET', `/api/v1/projects/${on.id}/runtime.d.ts`, { token: root }),
      200,
    );
    expect(withPlugins.text).toContain('namespace crypto {');
    expect(withPlugins.text).toContain('function sha256(text: string');
    expect(withPlugins.text).toContain('namespace mail {');
    expect(withPlugins.text).toContain('namespace greeter {');
    const without = await expectStatus(
      send(server, 'GET', `/api/v1/projects/${off.id}/runtime.d.ts`, { token: root }),
      200,
    );
    expect(without.text).toContain('namespace goals {');
    expect(without.text).not.toContain('namespace crypto');
    expect(without.text).not.toContain('namespace mail');
  });

  it('a worker sends mail through the SMTP server, which receives it', async () => {
    const result = await run(
      on.id,
      'mailer',
      `return await m3m.mail.send({ to: 'ann@example.com', subject: 'Welcome, Ann', text: 'Your account is ready.' });`,
    );
    expect(result).toMatchObject({ outcome: 'ok', result: { accepted: ['ann@example.com'], rejected: [] } });
    const mail = await smtp.next();
    expect(mail.from).toBe('shop@example.com');
    expect(mail.to).toEqual(['ann@example.com']);
    expect(mail.headers.from).toBe('Shop <shop@example.com>');
    expect(mail.headers.subject).toBe('Welcome, Ann');
    expect(mail.raw).toContain('Your account is ready.');
    expect(mail.headers['message-id']).toBe((result.result as { messageId: string }).messageId);
  });

  it('a module switched off takes its API away from the next invocation', async () => {
    const source = runBody('return typeof m3m.mail;');
    const worker = await createWorker(server, root, on.id, { name: 'toggle', slug: 'toggle' }, source);
    const runIt = async () =>
      (
        await expectStatus(
          send(server, 'POST', `/api/v1/projects/${on.id}/workers/${worker.id}/run`, {
            token: root,
            body: {},
          }),
          200,
        )
      ).json.result;
    expect(await runIt()).toBe('object');
    await expectStatus(
      send(server, 'DELETE', `/api/v1/projects/${on.id}/modules/mail`, { token: root }),
      200,
    );
    expect(await runIt()).toBe('undefined');
    await enable(on.id, 'mail');
    expect(await runIt()).toBe('object');
  });

  it('a module on trial provides its API until the trial ends', async () => {
    const trial = await createProject(server, root, 'trial-project');
    const ends = new Date(server.clock.now().getTime() + 60 * 60_000).toISOString();
    await enable(trial.id, 'crypto', { trialEndsAt: ends });
    const worker = await createWorker(
      server,
      root,
      trial.id,
      { name: 't', slug: 't' },
      runBody('return typeof m3m.crypto;'),
    );
    const runIt = async () =>
      (
        await expectStatus(
          send(server, 'POST', `/api/v1/projects/${trial.id}/workers/${worker.id}/run`, {
            token: root,
            body: {},
          }),
          200,
        )
      ).json.result;
    expect(await runIt()).toBe('object');
    server.clock.advance(2 * 60 * 60_000);
    expect(await runIt()).toBe('undefined');
  });

  it('a plugin from M3M_PLUGINS_DIR works beside the broken ones, which /health lists by name', async () => {
    const result = await run(on.id, 'greet', `return await m3m.greeter.hello('Ann');`);
    expect(result.result).toEqual({ greeting: 'hello Ann', projectId: on.id });
    const health = await expectStatus(send(server, 'GET', '/health'), 200);
    const plugins = health.json.plugins as {
      loaded: { name: string }[];
      broken: { name: string; error: string }[];
    };
    expect(health.json.status).toBe('ok');
    expect(plugins.loaded.map((p) => p.name)).toEqual(['crypto', 'mail', 'greeter', 'untyped']);
    expect(plugins.broken.map((p) => p.name)).toEqual(BROKEN_PLUGINS.map((p) => p.name));
    // Anyone may read /health: names only, never the server's folders or the errors that name them.
    expect(health.text).not.toContain(pluginsDir);
    expect(health.text).not.toMatch(/"(path|error)"/);
    const details = await expectStatus(send(server, 'GET', '/api/v1/admin/plugins', { token: root }), 200);
    const detailed = details.json as unknown as {
      loaded: { name: string; path: string }[];
      broken: { name: string; path: string; error: string }[];
    };
    expect(detailed.loaded.map((p) => p.name)).toEqual(plugins.loaded.map((p) => p.name));
    expect(detailed.loaded.every((p) => p.path.startsWith('/'))).toBe(true);
    for (const { name, error } of BROKEN_PLUGINS) {
      expect(detailed.broken.every((p) => p.path.startsWith(pluginsDir))).toBe(true);
      expect(detailed.broken.find((p) => p.name === name)?.error).toMatch(error);
    }
    const modules = await expectStatus(send(server, 'GET', '/api/v1/modules', { token: root }), 200);
    const codes = (modules.json.items as { code: string }[]).map((m) => m.code);
    expect(codes).toEqual(['goals', 'crypto', 'greeter', 'mail', 'untyped', 'webhooks']);
  });

  it('a plugin without .d.ts loads and works, and runtime.d.ts declares its functions untyped', async () => {
    const result = await run(
      on.id,
      'untyped',
      `return [await m3m.untyped.twice(21), await m3m.untyped.text.upper('ok')];`,
    );
    expect(result).toMatchObject({ outcome: 'ok', result: [42, 'OK'] });
    const dts = await expectStatus(
      send(server, 'GET', `/api/v1/projects/${on.id}/runtime.d.ts`, { token: root }),
      200,
    );
    expect(dts.text).toContain(
      [
        '  // module untyped',
        '  namespace untyped {',
        '    namespace text {',
        '      function upper(...args: unknown[]): Promise<unknown>;',
        '    }',
        '    function twice(...args: unknown[]): Promise<unknown>;',
        '  }',
      ].join('\n'),
    );
  });
});
