import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMITS, StoreRateLimiter, signInKey } from '../../infrastructure/auth/storeRateLimiter.ts';
import { problemOf } from '../kit/http.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

describe('login', () => {
  let server: TestServer;
  let seq = 0;

  const login = (email: string, password: string) =>
    server.request('POST', '/api/v1/auth/login', { body: { email, password } });

  beforeAll(async () => {
    server = await startTestServer();
    await server.createAdmin(ROOT.email, ROOT.password);
  });
  afterAll(() => server.close());

  it('returns a bearer token, its expiry and the user', async () => {
    const before = server.clock.now().getTime();
    const response = await login(ROOT.email, ROOT.password);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'token', 'tokenType', 'user']);
    expect(body.tokenType).toBe('Bearer');
    const expiresAt = Date.parse(body.expiresAt as string);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 43200_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(before + 43200_000 + 1000);
    expect(body.user).toMatchObject({ email: ROOT.email, role: 'root' });
    expect(JSON.stringify(body)).not.toMatch(/\$2[aby]\$/);
  });

  it('ignores the case of the email', async () => {
    expect((await login(ROOT.email.toUpperCase(), ROOT.password)).status).toBe(200);
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const wrong = await problemOf(await login(ROOT.email, 'wrong-password-1'));
    const unknown = await problemOf(await login('nobody@example.com', 'wrong-password-1'));
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = ({ status, code, detail }: typeof wrong) => ({ status, code, detail });
    expect(strip(unknown)).toEqual(strip(wrong));
    expect(wrong).toMatchObject({
      code: 'invalid_credentials',
      detail: 'The email or the password is wrong.',
    });
  });

  it('refuses a password longer than bcrypt reads even when it starts with the right one', async () => {
    const password = `a1${'b'.repeat(70)}`; // exactly 72 bytes: allowed
    const email = `long-${++seq}@example.com`;
    const root = await server.login(ROOT.email, ROOT.password);
    await server.createUser(root, { email, password });
    expect((await login(email, password)).status).toBe(200);
    expect((await login(email, `${password}extra`)).status).toBe(401);
  });

  describe('rate limit', () => {
    it('after 5 failures answers 429 with Retry-After, even to the right password, until the window passes', async () => {
      const email = `limited-${++seq}@example.com`;
      const root = await server.login(ROOT.email, ROOT.password);
      const { password } = await server.createUser(root, { email });
      for (let i = 0; i < 5; i++) expect((await login(email, 'wrong-password-1')).status).toBe(401);

      const limited = await login(email, password);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('900');
      expect(await problemOf(limited)).toMatchObject({ code: 'too_many_requests' });

      // Other emails are not affected.
      expect((await login(ROOT.email, ROOT.password)).status).toBe(200);

      server.clock.advance(10 * 60_000);
      const later = await login(email, password);
      expect(later.status).toBe(429);
      expect(later.headers.get('retry-after')).toBe('300');

      server.clock.advance(5 * 60_000);
      expect((await login(email, password)).status).toBe(200);
    });

    it('a success clears the count', async () => {
      const email = `cleared-${++seq}@example.com`;
      const root = await server.login(ROOT.email, ROOT.password);
      const { password } = await server.createUser(root, { email });
      for (let i = 0; i < 4; i++) expect((await login(email, 'wrong-password-1')).status).toBe(401);
      expect((await login(email, password)).status).toBe(200);
      for (let i = 0; i < 4; i++) expect((await login(email, 'wrong-password-1')).status).toBe(401);
      expect((await login(email, password)).status).toBe(200);
    });

    it('limits unknown emails the same way', async () => {
      for (let i = 0; i < 5; i++)
        expect((await login('ghost@example.com', 'wrong-password-1')).status).toBe(401);
      expect((await login('ghost@example.com', 'wrong-password-1')).status).toBe(429);
    });

    it('limits guesses of the current password on POST /me/password', async () => {
      const root = await server.login(ROOT.email, ROOT.password);
      const { token, password } = await server.createUser(root, { email: `guess-${++seq}@example.com` });
      const change = (currentPassword: string) =>
        server.request('POST', '/api/v1/me/password', {
          token,
          body: { currentPassword, newPassword: 'brand-new-password-1' },
        });
      for (let i = 0; i < 5; i++) expect((await change('wrong-password-1')).status).toBe(400);
      const limited = await change(password);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });
});

describe('the sign-in limiter (in the read store)', () => {
  let first: TestServer;
  let second: TestServer;

  beforeAll(async () => {
    first = await startTestServer();
    await first.createAdmin(ROOT.email, ROOT.password);
    // A second m3m process on the same data directory, as behind a load balancer.
    second = await startTestServer({ dataDir: first.dataDir });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('counts per key over a sliding window', async () => {
    const clock = first.clock;
    const limiter = new StoreRateLimiter({
      readStore: first.m3m.readStore,
      clock,
      scope: 'test',
      maxFailures: 3,
      windowMs: 60_000,
    });
    const key = signInKey('10.0.0.1', 'A@B.co ');
    expect(key).toBe(signInKey('10.0.0.1', 'a@b.co'));
    await limiter.recordFailure(key);
    clock.advance(20_000);
    await limiter.recordFailure(key);
    await limiter.recordFailure(key);
    expect(await limiter.retryAfterSeconds(key)).toBe(40);
    expect(await limiter.retryAfterSeconds(signInKey('10.0.0.2', 'a@b.co'))).toBe(0);
    clock.advance(40_000);
    expect(await limiter.retryAfterSeconds(key)).toBe(0); // the first failure left the window
    await limiter.recordFailure(key);
    expect(await limiter.retryAfterSeconds(key)).toBe(20);
    await limiter.recordSuccess(key);
    expect(await limiter.retryAfterSeconds(key)).toBe(0);
  });

  it('holds across two m3m processes on one store, and keeps no email in it', async () => {
    const attempt = (server: TestServer) =>
      server.request('POST', '/api/v1/auth/login', {
        body: { email: ROOT.email, password: 'wrong-password-1' },
      });
    for (let i = 0; i < 3; i++) expect((await attempt(first)).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await attempt(second)).status).toBe(401);
    // Five failures in all, split over the two processes: both refuse the sixth.
    const limited = await attempt(second);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await attempt(first)).status).toBe(429);
    const stored = await first.m3m.readStore.collection(RATE_LIMITS).find({});
    expect(JSON.stringify(stored)).not.toContain(ROOT.email);
  });
});
