import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf } from '../kit/http.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

/** What the server writes to its log and to the event log must never hold a password, a hash or a token. */
describe('secrets stay out of logs and events', () => {
  let server: TestServer;
  const secrets: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ captureLogs: true });
    await server.createAdmin(ROOT.email, ROOT.password);
    secrets.push(ROOT.password);

    const login = await server.request('POST', '/api/v1/auth/login', {
      body: { email: ROOT.email, password: ROOT.password },
    });
    const { token } = (await login.json()) as { token: string };
    secrets.push(token);
    expect((await server.request('GET', '/api/v1/me', { token })).status).toBe(200);

    await problemOf(
      await server.request('POST', '/api/v1/auth/login', {
        body: { email: ROOT.email, password: 'wrong-guess-1234' },
      }),
    );
    secrets.push('wrong-guess-1234');

    const created = await server.request('POST', '/api/v1/users', {
      token,
      body: { email: 'logged@example.com', name: 'Logged', password: 'created-password-1' },
    });
    const { id } = (await created.json()) as { id: string };
    secrets.push('created-password-1');

    const changed = await server.request('POST', '/api/v1/me/password', {
      token,
      body: { currentPassword: ROOT.password, newPassword: 'changed-password-2' },
    });
    expect(changed.status).toBe(200);
    const fresh = ((await changed.json()) as { token: string }).token;
    secrets.push('changed-password-2', fresh);

    // A rejected weak password is logged as a rejection: the field, never the value.
    await server.request('POST', '/api/v1/me/password', {
      token: fresh,
      body: { currentPassword: 'changed-password-2', newPassword: 'weakpw' },
    });
    secrets.push('weakpw');

    const reset = await server.request('POST', `/api/v1/admin/users/${id}/password`, {
      token: fresh,
      body: { password: 'reset-by-admin-3' },
    });
    expect(reset.status).toBe(204);
    secrets.push('reset-by-admin-3');

    // The hashes themselves are secrets too.
    for (const event of await server.m3m.eventStore.readAll({ limit: 1000 })) {
      const data = event.data as { passwordHash?: string };
      if (data.passwordHash) secrets.push(data.passwordHash);
    }
  });
  afterAll(() => server.close());

  it('logged the requests (so the check below has something to look at)', () => {
    const text = server.logs.join('');
    expect(text).toContain('/api/v1/auth/login');
    expect(text).toContain('/api/v1/me/password');
    expect(text).toContain('request rejected');
    expect(secrets.filter((s) => s.startsWith('$2'))).toHaveLength(4);
  });

  it('no log line holds a password, a hash or a token', () => {
    const text = server.logs.join('');
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/\$2[aby]\$\d\d\$/);
    expect(text).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+/);
  });

  it('no event holds a clear password or a token; passwords are bcrypt hashes', async () => {
    const events = await server.m3m.eventStore.readAll({ limit: 1000 });
    const text = JSON.stringify(events);
    for (const secret of secrets.filter((s) => !s.startsWith('$2'))) expect(text).not.toContain(secret);
    const hashes = events.flatMap((e) => {
      const data = e.data as { passwordHash?: string };
      return data.passwordHash ? [data.passwordHash] : [];
    });
    expect(hashes.length).toBe(4);
    for (const hash of hashes) expect(hash).toMatch(/^\$2[aby]\$04\$/);
  });
});
