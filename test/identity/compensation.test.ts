import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleCommand } from '../../application/commands/handleCommand.ts';
import type { Caller } from '../../application/context.ts';
import { ABANDONED_AFTER_MS } from '../../application/identity/abandonedClaims.ts';
import { createUser } from '../../application/identity/createUser.ts';
import { emailStream, ROOT_STREAM } from '../../application/identity/streams.ts';
import { updateUser } from '../../application/identity/updateUser.ts';
import { type ProjectGrantDeps, reserveEmail } from '../../application/identity/userCommands.ts';
import { DomainError } from '../../domain/decider.ts';
import { rootAssignmentDecider } from '../../domain/rootAssignment.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

/**
 * On the embedded store the email's reservation and the user's events are one append (ADR 25): a registration
 * or an email change the domain refuses writes nothing, not even a reservation to give back. These failures
 * cannot be provoked over HTTP (the schemas catch them first), so the use cases are called directly with input
 * only the domain refuses.
 */
describe('email reservations written with the user', () => {
  let server: TestServer;
  let deps: ProjectGrantDeps;
  const system: Caller = { actor: { kind: 'system' }, source: 'system' };

  const reservationEvents = async (address: string) =>
    (await server.m3m.eventStore.readStream(emailStream(address))).map((e) => [e.type, e.data]);

  beforeAll(async () => {
    server = await startTestServer();
    await server.createAdmin(ROOT.email, ROOT.password);
    // Every project "exists" here: a malformed project id then reaches the user decider, which refuses it after
    // the email was reserved, the failure whose compensation this suite checks.
    deps = { commands: server.m3m.commands, hasher: server.m3m.hasher, projectExists: async () => true };
  });
  afterAll(() => server.close());

  it('a refused registration leaves the email unreserved', async () => {
    const attempt = createUser(deps, system, {
      email: 'comp-create@example.com',
      name: 'Comp',
      password: 'comp-password-1',
      projectIds: ['not a project id'],
    });
    await expect(attempt).rejects.toThrow(DomainError);
    expect(await reservationEvents('comp-create@example.com')).toEqual([]);

    const created = await createUser(deps, system, {
      email: 'comp-create@example.com',
      name: 'Comp',
      password: 'comp-password-1',
    });
    expect(created.role).toBe('user');
  });

  it('a refused email change reserves nothing and keeps the old address', async () => {
    const user = await createUser(deps, system, {
      email: 'comp-old@example.com',
      name: 'Old',
      password: 'comp-password-1',
    });
    const attempt = updateUser(deps, system, user.userId, { email: 'comp-new@example.com', name: '' });
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_name' });
    expect(await reservationEvents('comp-new@example.com')).toEqual([]);
    expect(await reservationEvents('comp-old@example.com')).toEqual([
      ['EmailReserved', { userId: user.userId }],
    ]);
  });

  it('an accepted email change releases the old address with the change', async () => {
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

/** What a process that died half-way leaves behind is taken over once it is clearly abandoned. */
describe('abandoned claims', () => {
  let server: TestServer;
  let deps: ProjectGrantDeps;
  const system: Caller = { actor: { kind: 'system' }, source: 'system' };
  const context = { actorId: null, source: 'system' };

  beforeAll(async () => {
    server = await startTestServer();
    // Every project "exists" here: a malformed project id then reaches the user decider, which refuses it after
    // the email was reserved, the failure whose compensation this suite checks.
    deps = { commands: server.m3m.commands, hasher: server.m3m.hasher, projectExists: async () => true };
  });
  afterAll(() => server.close());

  it('a root assigned to a user who never registered is reassigned after a minute', async () => {
    const ghost = randomUUID();
    await handleCommand(
      deps.commands,
      ROOT_STREAM,
      rootAssignmentDecider,
      { type: 'AssignRoot', userId: ghost },
      context,
    );
    const early = await server.createAdmin('early@example.com', 'early-password-1');
    expect(early.role).toBe('admin');
    server.clock.advance(ABANDONED_AFTER_MS);
    const late = await server.createAdmin('late@example.com', 'late-password-1');
    expect(late.role).toBe('root');
    // A registered root is never taken over, however old.
    server.clock.advance(ABANDONED_AFTER_MS);
    expect((await server.createAdmin('later@example.com', 'later-password-1')).role).toBe('admin');
  });

  it('an email reserved for a user who never registered is taken over after a minute', async () => {
    const ghost = randomUUID();
    await reserveEmail(deps, 'ghosted@example.com', ghost, context);
    const input = { email: 'ghosted@example.com', name: 'G', password: 'ghost-password-1' };
    await expect(createUser(deps, system, input)).rejects.toMatchObject({ code: 'email_taken' });
    server.clock.advance(ABANDONED_AFTER_MS);
    const created = await createUser(deps, system, input);
    const events = (await server.m3m.eventStore.readStream(emailStream('ghosted@example.com'))).map((e) => [
      e.type,
      e.data,
    ]);
    expect(events).toEqual([
      ['EmailReserved', { userId: ghost }],
      ['EmailReleased', { userId: ghost }],
      ['EmailReserved', { userId: created.userId }],
    ]);
  });

  it('the email of a live user is never taken over', async () => {
    const input = { email: 'alive@example.com', name: 'A', password: 'alive-password-1' };
    await createUser(deps, system, input);
    server.clock.advance(10 * ABANDONED_AFTER_MS);
    await expect(createUser(deps, system, input)).rejects.toMatchObject({ code: 'email_taken' });
  });
});
