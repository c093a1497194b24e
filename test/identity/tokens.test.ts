import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf } from '../kit/http.ts';
import { ROOT, startTestServer, TEST_JWT_SECRET, type TestServer } from '../kit/server.ts';

/** Every way a bearer token can be wrong gets 401; the one right token gets 200. */
describe('bearer tokens', () => {
  let server: TestServer;
  let rootToken: string;
  let userId: string;

  const me = (token: string) => server.request('GET', '/api/v1/me', { token });
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  /** A token signed with the server's secret, with any claims and options. */
  const sign = (payload: object, options: jwt.SignOptions = {}) =>
    jwt.sign(payload, TEST_JWT_SECRET, {
      algorithm: 'HS256',
      issuer: 'm3m',
      audience: 'm3m-api',
      subject: userId,
      expiresIn: 3600,
      ...options,
    });

  async function expect401(token: string) {
    const response = await me(token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect((await problemOf(response)).code).toBe('invalid_token');
  }

  beforeAll(async () => {
    server = await startTestServer();
    rootToken = await server.signInAsRoot();
    userId = ((await (await me(rootToken)).json()) as { id: string }).id;
  });
  afterAll(() => server.close());

  it('accepts a valid token, and one we sign the same way', async () => {
    expect((await me(rootToken)).status).toBe(200);
    expect((await me(sign({ sv: 0 }))).status).toBe(200);
  });

  it('issues HS256 tokens with issuer, audience, subject, session version and expiry', () => {
    const { header, payload } = jwt.decode(rootToken, { complete: true }) as jwt.Jwt & {
      payload: jwt.JwtPayload;
    };
    expect(header.alg).toBe('HS256');
    expect(payload).toMatchObject({ iss: 'm3m', aud: 'm3m-api', sub: userId, sv: 0 });
    expect(payload.exp! - payload.iat!).toBe(43200);
  });

  it('refuses a missing or malformed Authorization header', async () => {
    const none = await server.request('GET', '/api/v1/me');
    expect(none.status).toBe(401);
    expect((await problemOf(none)).code).toBe('unauthorized');
    const basic = await server.request('GET', '/api/v1/me', { headers: { authorization: 'Basic YTpi' } });
    expect(basic.status).toBe(401);
    await expect401('not-a-jwt');
  });

  it('refuses a tampered signature', async () => {
    const [header, payload, signature] = rootToken.split('.');
    const flipped = (signature![0] === 'A' ? 'B' : 'A') + signature!.slice(1);
    await expect401(`${header}.${payload}.${flipped}`);
  });

  it('refuses a tampered payload under the original signature', async () => {
    const [header, payload, signature] = rootToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    await expect401(`${header}.${b64({ ...claims, sv: 1 })}.${signature}`);
  });

  it('refuses alg: none', async () => {
    const claims = jwt.decode(rootToken) as object;
    await expect401(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`);
  });

  it('refuses another HMAC algorithm, even with the right secret', async () => {
    await expect401(sign({ sv: 0 }, { algorithm: 'HS512' }));
  });

  it('refuses a token signed with another secret', async () => {
    await expect401(jwt.sign({ sv: 0 }, 'another-secret-another-secret-another', { subject: userId }));
  });

  it('refuses the wrong issuer', async () => {
    await expect401(sign({ sv: 0 }, { issuer: 'someone-else' }));
  });

  it('refuses the wrong audience', async () => {
    await expect401(sign({ sv: 0 }, { audience: 'another-api' }));
  });

  it('refuses an expired token', async () => {
    const iat = Math.floor(Date.now() / 1000) - 7200;
    await expect401(sign({ sv: 0, iat }, { expiresIn: 3600 }));
  });

  it('refuses a token once the server clock passes its expiry', async () => {
    const token = await server.login(ROOT.email, ROOT.password);
    expect((await me(token)).status).toBe(200);
    server.clock.advance(43201 * 1000);
    try {
      await expect401(token);
    } finally {
      server.clock.advance(-43201 * 1000);
    }
  });

  it('refuses a token of an unknown user', async () => {
    await expect401(sign({ sv: 0 }, { subject: '00000000-0000-4000-8000-000000000000' }));
  });

  it('refuses a blocked user’s token, and still refuses it after unblocking', async () => {
    const { user, token, password } = await server.createUser(rootToken, { email: 'blocked@example.com' });
    expect((await me(token)).status).toBe(200);
    expect(
      (await server.request('POST', `/api/v1/users/${user.id}/block`, { token: rootToken })).status,
    ).toBe(200);
    await expect401(token);
    expect(
      (await server.request('POST', `/api/v1/users/${user.id}/unblock`, { token: rootToken })).status,
    ).toBe(200);
    await expect401(token);
    expect((await me(await server.login(user.email, password))).status).toBe(200);
  });

  it('refuses a token from before a password change, and accepts the one the change returns', async () => {
    const { token, password } = await server.createUser(rootToken, { email: 'changer@example.com' });
    const changed = await server.request('POST', '/api/v1/me/password', {
      token,
      body: { currentPassword: password, newPassword: 'a-new-password-2' },
    });
    expect(changed.status).toBe(200);
    const fresh = (await changed.json()) as { token: string; tokenType: string; expiresAt: string };
    expect(fresh.tokenType).toBe('Bearer');
    await expect401(token);
    expect((await me(fresh.token)).status).toBe(200);
  });

  it('refuses a token from before an admin reset the password', async () => {
    const { user, token } = await server.createUser(rootToken, { email: 'reset@example.com' });
    const reset = await server.request('POST', `/api/v1/admin/users/${user.id}/password`, {
      token: rootToken,
      body: { password: 'reset-password-9' },
    });
    expect(reset.status).toBe(204);
    await expect401(token);
    expect((await me(await server.login(user.email, 'reset-password-9'))).status).toBe(200);
  });

  it('refuses a deleted user’s token', async () => {
    const { user, token } = await server.createUser(rootToken, { email: 'deleted@example.com' });
    expect((await server.request('DELETE', `/api/v1/users/${user.id}`, { token: rootToken })).status).toBe(
      204,
    );
    await expect401(token);
  });
});
