import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInCatalog } from '../../application/modules/catalog.ts';
import type { RuntimeExtension } from '../../application/ports/runtimeExtensions.ts';
import { type LoadedPlugins, loadPlugins, pluginFolders } from '../../infrastructure/plugins/pluginLoader.ts';
import { BROKEN_PLUGINS, writePluginsDir } from '../kit/plugins.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../kit/smtpReceiver.ts';

const ctx = { projectId: 'p1', workerId: 'w1', invocationId: 'i1' };

function capture() {
  const lines: string[] = [];
  const logger = pino(
    { level: 'trace' },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  return { logger, lines };
}

async function load(settings: Record<string, string> = {}, extraDir: string | null = null) {
  const catalog = builtInCatalog();
  const { logger, lines } = capture();
  const plugins = await loadPlugins({ folders: pluginFolders(extraDir), catalog, settings, logger });
  return { catalog, plugins, lines };
}

function fn(plugins: LoadedPlugins, path: string) {
  const extension = plugins.extensions().find((e: RuntimeExtension) => path in e.functions);
  if (!extension) throw new Error(`no ${path}`);
  return async (...args: unknown[]) => extension.functions[path]!(args, ctx);
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('the plugins shipped with m3m', () => {
  let plugins: LoadedPlugins;
  let catalog: ReturnType<typeof builtInCatalog>;

  beforeAll(async () => {
    ({ plugins, catalog } = await load());
  });
  afterAll(() => plugins.close());

  it('load, each registering its non-core module in the catalogue', () => {
    expect(plugins.status()).toEqual({
      loaded: [
        expect.objectContaining({
          name: 'crypto',
          origin: 'built-in',
          moduleCode: 'crypto',
          functions: ['crypto.hmacSha256', 'crypto.randomBytes', 'crypto.sha256', 'crypto.uuid'],
        }),
        expect.objectContaining({
          name: 'mail',
          origin: 'built-in',
          moduleCode: 'mail',
          functions: ['mail.send'],
        }),
      ],
      broken: [],
    });
    expect(catalog.get('crypto')).toMatchObject({ isCore: false, source: 'plugin:crypto', name: 'Crypto' });
    expect(catalog.get('mail')).toMatchObject({ isCore: false, source: 'plugin:mail' });
    for (const extension of plugins.extensions()) {
      expect(extension.dts).toMatch(new RegExp(`^namespace ${extension.moduleCode} \\{`, 'm'));
    }
  });

  it('crypto: SHA-256 and HMAC-SHA256 match the published test vectors, in hex and base64', async () => {
    const sha256 = fn(plugins, 'crypto.sha256');
    expect(await sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(await sha256('abc', 'base64')).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
    const hmac = fn(plugins, 'crypto.hmacSha256');
    // RFC 4231, test case 2
    expect(await hmac('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(await hmac('Jefe', 'what do ya want for nothing?', 'base64')).toBe(
      'W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=',
    );
  });

  it('crypto: UUIDs and random bytes', async () => {
    const uuid = fn(plugins, 'crypto.uuid');
    const ids = await Promise.all([uuid(), uuid(), uuid()]);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(3);
    const random = fn(plugins, 'crypto.randomBytes');
    expect(Buffer.from((await random(1024)) as string, 'base64')).toHaveLength(1024);
    expect(Buffer.from((await random(1)) as string, 'base64')).toHaveLength(1);
    expect(await random(16)).not.toBe(await random(16));
  });

  it('crypto: bad arguments fail with a message naming them', async () => {
    await expect(fn(plugins, 'crypto.sha256')(42)).rejects.toThrow('text must be a string, got 42');
    await expect(fn(plugins, 'crypto.sha256')()).rejects.toThrow('text must be a string, got nothing');
    await expect(fn(plugins, 'crypto.sha256')('x', 'latin1')).rejects.toThrow(
      `encoding must be 'hex' or 'base64', got "latin1"`,
    );
    await expect(fn(plugins, 'crypto.hmacSha256')('', 'x')).rejects.toThrow('key must not be empty');
    await expect(fn(plugins, 'crypto.randomBytes')(1025)).rejects.toThrow(
      'size must be an integer from 1 to 1024, got 1025',
    );
    await expect(fn(plugins, 'crypto.randomBytes')(0)).rejects.toThrow(
      'size must be an integer from 1 to 1024',
    );
    await expect(fn(plugins, 'crypto.randomBytes')(1.5)).rejects.toThrow('size must be an integer');
    await expect(fn(plugins, 'crypto.uuid')('v7')).rejects.toThrow(
      'm3m.crypto.uuid takes at most 0 arguments',
    );
    await expect(fn(plugins, 'crypto.sha256')(42)).rejects.toBeInstanceOf(TypeError);
  });

  it('gives a project only the extensions of the modules that are on there', async () => {
    const activeByProject: Record<string, string[]> = {
      a: ['goals', 'crypto'],
      b: ['goals'],
      c: ['mail', 'crypto'],
    };
    const extensions = plugins.runtimeExtensions({ activeModules: async (id) => activeByProject[id] ?? [] });
    expect((await extensions.forProject('a')).map((e) => e.moduleCode)).toEqual(['crypto']);
    expect(await extensions.forProject('b')).toEqual([]);
    expect((await extensions.forProject('c')).map((e) => e.moduleCode)).toEqual(['crypto', 'mail']);
    expect(await extensions.forProject('unknown')).toEqual([]);
  });
});

describe('a plugin folder with broken plugins', () => {
  let dir: string;
  let loaded: Awaited<ReturnType<typeof load>>;

  beforeAll(async () => {
    dir = await writePluginsDir();
    loaded = await load({}, dir);
  });
  afterAll(async () => {
    await loaded.plugins.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports each broken plugin with its name and the reason, at error level, and skips it', () => {
    const { broken } = loaded.plugins.status();
    expect(broken.map((b) => b.name)).toEqual(BROKEN_PLUGINS.map((b) => b.name));
    for (const expected of BROKEN_PLUGINS) {
      const report = broken.find((b) => b.name === expected.name)!;
      expect(report.error).toMatch(expected.error);
      expect(report.path).toBe(`${dir}/${expected.name}`);
      const line = loaded.lines
        .map((l) => JSON.parse(l))
        .find((l) => l.plugin === expected.name && l.level === 50);
      expect(line?.msg).toMatch(new RegExp(`^plugin ${expected.name} is broken and was skipped: `));
    }
    expect(loaded.catalog.get('invalid')).toBeNull();
    expect(loaded.catalog.get('unconfigured')).toBeNull();
    expect(loaded.catalog.get('crypto')?.source).toBe('plugin:crypto');
  });

  it('loads the good ones beside them, built-in and from the folder', async () => {
    expect(loaded.plugins.status().loaded.map((p) => [p.name, p.origin])).toEqual([
      ['crypto', 'built-in'],
      ['mail', 'built-in'],
      ['greeter', 'directory'],
      ['untyped', 'directory'],
    ]);
    expect(loaded.catalog.get('greeter')).toMatchObject({ isCore: false, source: 'plugin:greeter' });
    expect(await fn(loaded.plugins, 'greeter.hello')('ann')).toEqual({
      greeting: 'hello ann',
      projectId: 'p1',
    });
    expect(await fn(loaded.plugins, 'crypto.sha256')('abc')).toMatch(/^ba7816bf/);
  });

  it('reports a plugin folder that does not exist, and still loads the built-in plugins', async () => {
    const { plugins } = await load({}, `${dir}-missing`);
    expect(plugins.status().broken).toEqual([
      {
        name: expect.stringMatching(/-missing$/),
        path: `${dir}-missing`,
        error: expect.stringMatching(/cannot be read/),
      },
    ]);
    expect(plugins.status().loaded).toHaveLength(2);
    await plugins.close();
  });
});

describe('the mail plugin against a real SMTP server', () => {
  let smtp: SmtpReceiver;
  let loaded: Awaited<ReturnType<typeof load>>;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    loaded = await load({ M3M_SMTP_URL: smtp.url, M3M_SMTP_FROM: 'Shop <shop@example.com>' });
  });
  afterAll(async () => {
    await loaded.plugins.close();
    await smtp.close();
  });

  it('sends the message, logged in with the URL credentials, and the server receives it', async () => {
    const send = fn(loaded.plugins, 'mail.send');
    const result = await send({
      to: ['ann@example.com', 'bob@example.org'],
      subject: 'Order 42 confirmed',
      text: 'Thank you for your order.\nIt ships tomorrow.',
    });
    expect(result).toEqual({
      messageId: expect.stringMatching(/^<.+@.+>$/),
      accepted: ['ann@example.com', 'bob@example.org'],
      rejected: [],
    });
    const mail = await smtp.next();
    expect(mail.user).toBe('mailer');
    expect(mail.from).toBe('shop@example.com');
    expect(mail.to).toEqual(['ann@example.com', 'bob@example.org']);
    expect(mail.headers.from).toBe('Shop <shop@example.com>');
    expect(mail.headers.to).toBe('ann@example.com, bob@example.org');
    expect(mail.headers.subject).toBe('Order 42 confirmed');
    expect(mail.headers['message-id']).toBe((result as { messageId: string }).messageId);
    expect(mail.raw).toContain('Thank you for your order.\r\nIt ships tomorrow.');
  });

  it('sends an HTML alternative and a reply-to', async () => {
    await fn(
      loaded.plugins,
      'mail.send',
    )({
      to: 'ann@example.com',
      subject: 'Hi',
      text: 'plain body',
      html: '<p>html body</p>',
      replyTo: 'help@example.com',
    });
    const mail = await smtp.next();
    expect(mail.headers['content-type']).toMatch(/^multipart\/alternative/);
    expect(mail.headers['reply-to']).toBe('help@example.com');
    expect(mail.raw).toContain('plain body');
    expect(mail.raw).toContain('<p>html body</p>');
  });

  it('refuses bad messages before connecting, naming the field', async () => {
    const send = fn(loaded.plugins, 'mail.send');
    const before = smtp.received.length;
    await expect(send({ to: 'not-an-address', subject: 's', text: 't' })).rejects.toThrow(
      'to is not a valid e-mail address: "not-an-address"',
    );
    await expect(
      send({ to: ['a@example.com', 'x@y>, evil@example.com'], subject: 's', text: 't' }),
    ).rejects.toThrow('to[1] is not a valid e-mail address');
    await expect(send({ to: [], subject: 's', text: 't' })).rejects.toThrow(
      'to must be an e-mail address or a non-empty array',
    );
    await expect(
      send({ to: 'a@example.com', subject: 'x\r\nBcc: evil@example.com', text: 't' }),
    ).rejects.toThrow('subject must be one line');
    await expect(send({ to: 'a@example.com', text: 't' })).rejects.toThrow('subject is required');
    await expect(send({ to: 'a@example.com', subject: 's', text: 1 })).rejects.toThrow(
      'text must be a string',
    );
    await expect(
      send({ to: 'a@example.com', subject: 's', text: 't', bcc: 'x@example.com' }),
    ).rejects.toThrow('unknown field "bcc"');
    await expect(send('a@example.com')).rejects.toThrow('the message must be an object, got "a@example.com"');
    const many = Array.from({ length: 51 }, (_, i) => `u${i}@example.com`);
    await expect(send({ to: many, subject: 's', text: 't' })).rejects.toThrow('at most 50');
    expect(smtp.received.length).toBe(before);
  });

  it('never writes the SMTP credentials to the log', () => {
    const all = loaded.lines.join('\n');
    expect(all).toContain('mail sent');
    expect(all).not.toContain('p@ss');
    expect(all).not.toContain(encodeURIComponent('p@ss:w/rd 9'));
  });

  it('reports a refused login without the password', async () => {
    const wrong = smtp.url.replace(encodeURIComponent('p@ss:w/rd 9'), 'wrong-secret');
    const { plugins, lines } = await load({ M3M_SMTP_URL: wrong, M3M_SMTP_FROM: 'shop@example.com' });
    const error = await failure(fn(plugins, 'mail.send')({ to: 'a@example.com', subject: 's', text: 't' }));
    expect(error.message).toMatch(/^mail\.send failed: .*(auth|login|credentials)/i);
    expect(error.message).not.toContain('wrong-secret');
    expect(lines.join('\n')).not.toContain('wrong-secret');
    await plugins.close();
  });

  it('gives up on a server that never answers after M3M_SMTP_TIMEOUT_MS', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket)); // accepts, never greets
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const { plugins } = await load({
      M3M_SMTP_URL: `smtp://127.0.0.1:${port}`,
      M3M_SMTP_FROM: 'shop@example.com',
      M3M_SMTP_TIMEOUT_MS: '300',
    });
    const started = Date.now();
    const error = await failure(fn(plugins, 'mail.send')({ to: 'a@example.com', subject: 's', text: 't' }));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/^mail\.send failed: /);
    expect(Date.now() - started).toBeLessThan(3000);
    await plugins.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('without configuration loads, and sending says what to set', async () => {
    const { plugins, lines } = await load({});
    await expect(fn(plugins, 'mail.send')({ to: 'a@example.com', subject: 's', text: 't' })).rejects.toThrow(
      'mail is not configured on this server (M3M_SMTP_URL and M3M_SMTP_FROM)',
    );
    expect(lines.join('\n')).toContain('not configured');
    await plugins.close();
  });

  it('with a malformed configuration is reported broken, naming the variable', async () => {
    const { plugins, catalog } = await load({
      M3M_SMTP_URL: 'http://example.com',
      M3M_SMTP_FROM: 'shop@example.com',
    });
    expect(plugins.status().broken).toEqual([
      expect.objectContaining({
        name: 'mail',
        error: expect.stringContaining('M3M_SMTP_URL must be smtp://'),
      }),
    ]);
    expect(catalog.get('mail')).toBeNull();
    const other = await load({ M3M_SMTP_URL: smtp.url, M3M_SMTP_FROM: 'nobody' });
    expect(other.plugins.status().broken[0]?.error).toMatch(/M3M_SMTP_FROM must be an e-mail address/);
    expect(JSON.stringify(other.plugins.status())).not.toContain('p@ss');
  });
});
