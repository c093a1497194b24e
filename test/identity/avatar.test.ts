import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserJson } from '../../infrastructure/http/routes/identitySchemas.ts';
import { problemOf } from '../kit/http.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([26, 0, 0, 0]), Buffer.from('WEBPVP8 ')]);
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00');

describe('avatars', () => {
  let server: TestServer;
  let token: string;

  const upload = (body: Uint8Array, contentType: string, as = token) =>
    server.request('PUT', '/api/v1/me/avatar', { token: as, body, headers: { 'content-type': contentType } });

  beforeAll(async () => {
    server = await startTestServer();
    token = await server.signInAsRoot();
  });
  afterAll(() => server.close());

  it.each([
    ['image/png', PNG, 'png'],
    ['image/jpeg', JPEG, 'jpg'],
    ['image/webp', WEBP, 'webp'],
  ] as const)('stores a %s content-addressed and serves it publicly, immutable', async (type, bytes, ext) => {
    const response = await upload(bytes, type);
    expect(response.status).toBe(200);
    const user = (await response.json()) as UserJson;
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(user.avatarUrl).toBe(`/api/v1/avatars/${sha}.${ext}`);
    expect(await readFile(join(server.dataDir, 'avatars', `${sha}.${ext}`))).toEqual(bytes);

    const served = await server.request('GET', user.avatarUrl!); // no token
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe(type);
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(bytes);

    const me = (await (await server.request('GET', '/api/v1/me', { token })).json()) as UserJson;
    expect(me.avatarUrl).toBe(user.avatarUrl);
  });

  it('shows the avatar to user managers too', async () => {
    await upload(PNG, 'image/png');
    const page = (await (await server.request('GET', '/api/v1/users', { token })).json()) as {
      items: UserJson[];
    };
    expect(page.items.find((u) => u.email === ROOT.email)?.avatarUrl).toMatch(/\.png$/);
  });

  it('refuses another type with 415', async () => {
    const response = await upload(GIF, 'image/gif');
    expect(response.status).toBe(415);
    const problem = await problemOf(response);
    // In the problem vocabulary, naming what is accepted (not a bare 415 of type about:blank).
    expect(problem).toMatchObject({
      code: 'unsupported_avatar_type',
      type: '/api/v1/problems/unsupported_avatar_type',
    });
    for (const accepted of ['image/png', 'image/jpeg', 'image/webp'])
      expect(problem.detail).toContain(accepted);
    expect((await upload(PNG, 'text/plain')).status).toBe(415);
    expect((await server.request('PUT', '/api/v1/me/avatar', { token })).status).toBe(415);
  });

  it('refuses bytes that do not match the declared type with 415, writing nothing', async () => {
    const head = await server.headPosition();
    for (const [bytes, type] of [
      [JPEG, 'image/png'],
      [PNG, 'image/webp'],
      [GIF, 'image/jpeg'],
      [Buffer.from('<svg/>'), 'image/png'],
    ] as const) {
      const response = await upload(bytes, type);
      expect(response.status).toBe(415);
      expect((await problemOf(response)).code).toBe('avatar_content_mismatch');
    }
    expect(await server.headPosition()).toBe(head);
  });

  it('refuses more than 1 MiB with 413, and accepts exactly 1 MiB', async () => {
    const tooBig = Buffer.concat([PNG, Buffer.alloc(1024 * 1024 + 1 - PNG.length)]);
    const response = await upload(tooBig, 'image/png');
    expect(response.status).toBe(413);
    await problemOf(response);
    const limit = Buffer.concat([PNG, Buffer.alloc(1024 * 1024 - PNG.length)]);
    expect((await upload(limit, 'image/png')).status).toBe(200);
  });

  it('stores one picture uploaded by several users at the same moment', async () => {
    const picture = Buffer.concat([PNG, Buffer.from('shared default picture')]);
    const users = await Promise.all(
      Array.from({ length: 8 }, (_, i) => server.createUser(token, { email: `same-${i}@example.com` })),
    );
    const responses = await Promise.all(users.map((u) => upload(picture, 'image/png', u.token)));
    expect(responses.map((r) => r.status)).toEqual(users.map(() => 200));
  });

  it('clears the avatar; a removed or replaced picture is no longer served', async () => {
    const removed = Buffer.concat([PNG, Buffer.from('about to be removed')]);
    const url = ((await (await upload(removed, 'image/png')).json()) as UserJson).avatarUrl!;
    expect((await server.request('GET', url)).status).toBe(200);
    const response = await server.request('DELETE', '/api/v1/me/avatar', { token });
    expect(response.status).toBe(200);
    expect(((await response.json()) as UserJson).avatarUrl).toBeNull();
    expect((await problemOf(await server.request('GET', url))).status).toBe(404);

    const first = ((await (await upload(removed, 'image/png')).json()) as UserJson).avatarUrl!;
    expect(first).toBe(url);
    await upload(JPEG, 'image/jpeg');
    expect((await server.request('GET', url)).status).toBe(404);
    // A picture someone else still has stays served.
    const other = await server.createUser(token, { email: 'keeps-it@example.com' });
    await upload(JPEG, 'image/jpeg', other.token);
    await server.request('DELETE', '/api/v1/me/avatar', { token });
    const kept = (
      (await (await server.request('GET', '/api/v1/me', { token: other.token })).json()) as UserJson
    ).avatarUrl!;
    expect((await server.request('GET', kept)).status).toBe(200);
  });

  it('answers 404 for an unknown avatar and 400 for a name that is not one', async () => {
    expect((await server.request('GET', `/api/v1/avatars/${'0'.repeat(64)}.png`)).status).toBe(404);
    for (const name of ['..%2Fevents.sqlite', 'x.png', `${'0'.repeat(64)}.svg`]) {
      expect((await server.request('GET', `/api/v1/avatars/${name}`)).status).toBe(400);
    }
  });
});
