import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

let server: TestServer | undefined;
afterEach(() => server?.close());

describe('GET /api/v1/auth/setup', () => {
  it('tells anyone whether the first admin exists, so the sign-in page can say how to create one', async () => {
    server = await startTestServer();
    const before = await server.request('GET', '/api/v1/auth/setup');
    expect(before.status).toBe(200);
    expect(await before.json()).toEqual({ adminExists: false });

    await server.createAdmin(ROOT.email, ROOT.password);
    const after = await server.request('GET', '/api/v1/auth/setup', { token: 'not-a-token' });
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ adminExists: true });
  });
});
