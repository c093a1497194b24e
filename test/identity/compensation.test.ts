import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../application/identity/createUser.ts';
import { emailStream } from '../../application/identity/streams.ts';
import { updateUser } from '../../application/identity/updateUser.ts';
import type { Caller, IdentityDeps } from '../../application/identity/userCommands.ts';
import { DomainError } from '../../domain/decider.ts';
import { ROOT, startTestServer, type TestServer } from '../fixtures/testServer.ts';

/**
 * The email is reserved before the user's stream is written; when that write is refused, the reservation is
 * released again. These failures cannot be provoked over HTTP (the schemas catch them first), so the use cases
 * are called directly with input only the domain refuses.
 */
describe('email reservation compensation', () => {
  let server: TestServer;
  let deps: IdentityDeps;
  const system: Caller = { actor: { kind: 'system' }, source: 'system' };

  const reservationEvents = async (address: string) =>
    (await server.m3m.eventStore.readStream(emailStream(address))).map((e) => [e.type, e.data]);

  beforeAll(async () => {
    server = await startTestServer();
    await server.createAdmin(ROOT.email, ROOT.password);
    deps = { commands: server.m3m.commands, hasher: server.m3m.hasher };
  });
  afterAll(() => server.close());

  it('a refused registration frees the email it reserved', async () => {
    const attempt = createUser(deps, system, {
      email: 'comp-create@example.com',
      name: 'Comp',
      password: 'comp-password-1',
      projectIds: ['not a project id'],
    });
    await expect(attempt).rejects.toThrow(DomainError);
    const events = await reservationEvents('comp-create@example.com');
    expect(events.map(([type]) => type)).toEqual(['EmailReserved', 'EmailReleased']);

    const created = await createUser(deps, system, {
      email: 'comp-create@example.com',
      name: 'Comp',
      password: 'comp-password-1',
    });
    expect(created.role).toBe('user');
  });

  it('a refused email change frees the new address and keeps the old one', async () => {
    const user = await createUser(deps, system, {
      email: 'comp-old@example.com',
      name: 'Old',
      password: 'comp-password-1',
    });
    const attempt = updateUser(deps, system, user.userId, { email: 'comp-new@example.com', name: '' });
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_name' });
    expect((await reservationEvents('comp-new@example.com')).map(([type]) => type)).toEqual([
      'EmailReserved',
      'EmailReleased',
    ]);
    expect(await reservationEvents('comp-old@example.com')).toEqual([
      ['EmailReserved', { userId: user.userId }],
    ]);
  });

  it('an accepted email change releases the old address after the change', async () => {
    const user = await createUser(deps, system, {
      email: 'move-old@example.com',
      name: 'Mover',
      password: 'comp-password-1',
    });
    await updateUser(deps, system, user.userId, { email: 'move-new@example.com' });
    expect(await reservationEvents('move-old@example.com')).toEqual([
      ['EmailReserved', { userId: user.userId }],
      ['EmailReleased', { userId: user.userId }],
    ]);
    expect(await reservationEvents('move-new@example.com')).toEqual([
      ['EmailReserved', { userId: user.userId }],
    ]);
  });
});
