import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf } from '../kit/http.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Malformed input on every identity route with a body (and the path parameters): 400 problem+json naming each
 * failing field, and not a single event written. Requests are made as the root, so authorization never stands
 * in the way of validation.
 */
describe('input validation', () => {
  let server: TestServer;
  let token: string;
  let userId: string;
  const LONG = 'x'.repeat(300);

  beforeAll(async () => {
    server = await startTestServer();
    token = await server.signInAsRoot();
    userId = (await server.createUser(token, { email: 'someone@example.com' })).user.id;
  });
  afterAll(() => server.close());

  type Case = [label: string, method: string, path: () => string, body: unknown, fields: string[]];
  const users = () => '/api/v1/users';
  const user = () => `/api/v1/users/${userId}`;
  const CASES: Case[] = [
    ['login: nothing', 'POST', () => '/api/v1/auth/login', {}, ['body.email', 'body.password']],
    [
      'login: bad email',
      'POST',
      () => '/api/v1/auth/login',
      { email: 'nope', password: 'x' },
      ['body.email'],
    ],
    [
      'login: empty password',
      'POST',
      () => '/api/v1/auth/login',
      { email: 'a@b.co', password: '' },
      ['body.password'],
    ],
    [
      'login: wrong types',
      'POST',
      () => '/api/v1/auth/login',
      { email: 1, password: [] },
      ['body.email', 'body.password'],
    ],
    [
      'create user: a misspelt field is refused, not dropped',
      'POST',
      users,
      { email: 'typo@example.com', name: 'Typo', password: 'typo-pass-123', permission: ['manage_users'] },
      ['body'],
    ],
    ['me: empty name', 'PATCH', () => '/api/v1/me', { name: '   ' }, ['body.name']],
    ['me: long name', 'PATCH', () => '/api/v1/me', { name: LONG }, ['body.name']],
    ['me: no name', 'PATCH', () => '/api/v1/me', {}, ['body.name']],
    ['me: control chars', 'PATCH', () => '/api/v1/me', { name: 'a\u0000b' }, ['body.name']],
    [
      'password: nothing',
      'POST',
      () => '/api/v1/me/password',
      {},
      ['body.currentPassword', 'body.newPassword'],
    ],
    [
      'password: weak new',
      'POST',
      () => '/api/v1/me/password',
      { currentPassword: ROOT.password, newPassword: 'short1' },
      ['body.newPassword'],
    ],
    [
      'password: no digit',
      'POST',
      () => '/api/v1/me/password',
      { currentPassword: ROOT.password, newPassword: 'only-letters-here' },
      ['body.newPassword'],
    ],
    [
      'password: no letter',
      'POST',
      () => '/api/v1/me/password',
      { currentPassword: ROOT.password, newPassword: '1234567890123' },
      ['body.newPassword'],
    ],
    [
      'password: over 72 bytes',
      'POST',
      () => '/api/v1/me/password',
      { currentPassword: ROOT.password, newPassword: `a1${'é'.repeat(36)}` },
      ['body.newPassword'],
    ],
    [
      'password: wrong current',
      'POST',
      () => '/api/v1/me/password',
      { currentPassword: 'not-the-password-1', newPassword: 'a-good-password-1' },
      ['body.currentPassword'],
    ],
    ['create: nothing', 'POST', users, {}, ['body.email', 'body.name', 'body.password']],
    [
      'create: control characters in the email',
      'POST',
      users,
      { email: 'a\u0000b@example.com', name: 'N', password: 'good-password-1' },
      ['body.email'],
    ],
    ['edit: a line break in the email', 'PATCH', user, { email: 'a@example.com\nBcc' }, ['body.email']],
    [
      'create: bad values',
      'POST',
      users,
      {
        email: 'a@b',
        name: '',
        password: 'weak',
        permissions: ['fly'],
        projectIds: ['no spaces'],
        role: 'root',
      },
      ['body.email', 'body.name', 'body.password', 'body.permissions.0', 'body.projectIds.0', 'body.role'],
    ],
    [
      'create: permissions not a list',
      'POST',
      users,
      { email: 'n@example.com', name: 'N', password: 'good-password-1', permissions: 'manage_users' },
      ['body.permissions'],
    ],
    ['update: nothing to change', 'PATCH', user, {}, ['body']],
    ['update: unknown field', 'PATCH', user, { name: 'Ok', password: 'sneaky-password-1' }, ['body']],
    [
      'update: bad values',
      'PATCH',
      user,
      { email: 'x', role: 'root', permissions: ['x'] },
      ['body.email', 'body.role', 'body.permissions.0'],
    ],
    ['grant: no project', 'POST', () => `${user()}/projects`, {}, ['body.projectId']],
    ['grant: bad project id', 'POST', () => `${user()}/projects`, { projectId: 'a/b' }, ['body.projectId']],
    ['grant: too long', 'POST', () => `${user()}/projects`, { projectId: LONG }, ['body.projectId']],
    [
      'reset: weak',
      'POST',
      () => `/api/v1/admin/users/${userId}/password`,
      { password: 'abc' },
      ['body.password'],
    ],
    ['reset: nothing', 'POST', () => `/api/v1/admin/users/${userId}/password`, {}, ['body.password']],
    ['params: not a uuid', 'GET', () => '/api/v1/users/not-a-uuid', undefined, ['params.id']],
    ['params: not a uuid (patch)', 'PATCH', () => '/api/v1/users/42', { name: 'x' }, ['params.id']],
    ['params: bad project', 'DELETE', () => `${user()}/projects/a.b`, undefined, ['params.projectId']],
    ['query: limit', 'GET', () => '/api/v1/users?limit=0', undefined, ['querystring.limit']],
    ['query: cursor', 'GET', () => '/api/v1/users?cursor=garbage', undefined, ['querystring.cursor']],
  ];

  it.each(CASES)(
    '%s → 400 naming the fields, nothing written',
    async (_label, method, path, body, fields) => {
      const before = await server.headPosition();
      const response = await server.request(method, path(), { token, body });
      const problem = await problemOf(response);
      expect(response.status, JSON.stringify(problem)).toBe(400);
      expect(problem.code).toBe('validation_failed');
      // A field may fail more than one check (wrong type and too long…): each failing field is named.
      expect([...new Set(problem.errors!.map((e) => e.field))].sort()).toEqual([...fields].sort());
      for (const error of problem.errors!) expect(error.message).toEqual(expect.any(String));
      expect(await server.headPosition()).toBe(before);
    },
  );

  it('states the password rule in the message', async () => {
    const response = await server.request('POST', '/api/v1/users', {
      token,
      body: { email: 'weak@example.com', name: 'Weak', password: 'abcdefghijk' },
    });
    const problem = await problemOf(response);
    expect(problem.errors).toEqual([
      {
        field: 'body.password',
        message:
          'The password has no digit: a password needs 10 to 72 bytes (UTF-8) with at least one letter and one digit',
      },
    ]);
  });

  it('refuses malformed JSON with a 400 problem, writing nothing', async () => {
    const before = await server.headPosition();
    const response = await server.request('POST', '/api/v1/users', { token, body: '{"email":' });
    expect(response.status).toBe(400);
    await problemOf(response);
    expect(await server.headPosition()).toBe(before);
  });

  it('refuses a body that is not JSON where JSON is expected', async () => {
    const response = await server.request('PATCH', '/api/v1/me', {
      token,
      body: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(415);
  });
});
