import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../kit/http.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Sign-ins are security events: a successful sign-in and the start of a lock-out (the login limiter's 429) are
 * recorded with the address and answer "who signed in as root" through the audit API; failed attempts below the
 * lock-out are not recorded.
 */
describe('sign-in events', () => {
  let server: TestServer;
  let root: string;

  beforeAll(async () => {
    server = await startTestServer();
    root = await server.signInAsRoot();
  });
  afterAll(() => server.close());

  const audit = async (query: string) => {
    // A sign-in answers once its event is stored, not projected (the audit log is not the login's read model).
    await server.m3m.runner.waitFor(await server.headPosition());
    const r = await send(server, 'GET', `/api/v1/admin/audit?${query}`, { token: root });
    expect(r.status, r.text).toBe(200);
    return r.json.items as {
      type: string;
      actor: { kind: string; id: string | null; display: string };
      data: Record<string, unknown>;
      time: string;
    }[];
  };
  const login = (email: string, password: string) =>
    send(server, 'POST', '/api/v1/auth/login', { body: { email, password } });

  it('records each successful sign-in with the address: who signed in as root is one query', async () => {
    await server.login(ROOT.email, ROOT.password);
    const signIns = await audit(`actor=${encodeURIComponent(ROOT.email)}&type=UserSignedIn`);
    expect(signIns).toHaveLength(2);
    const rootId = signIns[0]!.actor.id;
    expect(signIns[0]).toMatchObject({
      type: 'UserSignedIn',
      actor: { kind: 'user', display: expect.stringContaining(ROOT.email) },
      data: { userId: rootId, email: ROOT.email, address: '127.0.0.1' },
    });
    expect(JSON.stringify(signIns)).not.toContain(ROOT.password);
  });

  it('records a lock-out once, when it starts, and no failed attempt below it', async () => {
    const head = await server.headPosition();
    for (let i = 0; i < 4; i++) expect((await login(ROOT.email, `wrong-password-${i}`)).status).toBe(401);
    expect(await server.headPosition()).toBe(head);
    expect((await login(ROOT.email, 'wrong-password-5')).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await login(ROOT.email, ROOT.password)).status).toBe(429);
    const lockOuts = await audit('type=SignInLockedOut');
    expect(lockOuts).toHaveLength(1);
    expect(lockOuts[0]).toMatchObject({
      actor: { kind: 'anonymous', id: null },
      data: { email: ROOT.email, address: '127.0.0.1', retryAfterSeconds: expect.any(Number) },
    });
    expect(lockOuts[0]!.data.userId).toBe((await audit('type=UserSignedIn&limit=1'))[0]!.actor.id);
    expect(JSON.stringify(lockOuts)).not.toMatch(/wrong-password/);
  });

  it('records the lock-out of an email nobody has, without a user', async () => {
    for (let i = 0; i < 5; i++) await login('nobody@example.com', `wrong-password-${i}`);
    expect((await login('nobody@example.com', 'wrong-password-6')).status).toBe(429);
    const [lockOut] = await audit('stream=sign-ins-unknown');
    expect(lockOut).toMatchObject({
      type: 'SignInLockedOut',
      data: { email: 'nobody@example.com', userId: null },
    });
  });
});
