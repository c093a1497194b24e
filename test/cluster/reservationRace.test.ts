import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailStream } from '../../application/identity/streams.ts';
import type { EventStore, RecordedEvent } from '../../application/ports/eventStore.ts';
import { problemOf } from '../kit/http.ts';
import { freshDatabase, type TestDatabase } from '../kit/postgres.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Two m3m instances on one store (two connections to one SQLite file, two pools on one PostgreSQL database) take
 * requests for the same goal slug and the same email address at once. A reservation and the events it guards are
 * one append (ADR 25): exactly one request wins, every other gets a 409 naming the field, and the log holds no
 * reservation without its holder's events and no holder without its reservation.
 */
const STORES = [
  {
    name: 'SQLite',
    async open(): Promise<{ env: Record<string, string>; dataDirs: string[]; done(): Promise<void> }> {
      const dataDir = await mkdtemp(join(tmpdir(), 'm3m-race-'));
      return {
        env: {},
        dataDirs: [dataDir, dataDir],
        done: () => rm(dataDir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const database: TestDatabase = await freshDatabase();
      const dirs = [await mkdtemp(join(tmpdir(), 'm3m-race-')), await mkdtemp(join(tmpdir(), 'm3m-race-'))];
      return {
        env: { M3M_EVENT_STORE: 'postgres', M3M_READ_STORE: 'postgres', M3M_POSTGRES_URL: database.url },
        dataDirs: dirs,
        async done() {
          await database.drop();
          for (const dir of dirs) await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

async function allEvents(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (let from = 0; ; ) {
    const page = await store.readAll({ fromPosition: from, limit: 1000 });
    events.push(...page);
    if (page.length < 1000) return events;
    from = page.at(-1)!.position;
  }
}

for (const kind of STORES) {
  describe(`racing reservations on two m3m instances (${kind.name})`, () => {
    let nodes: TestServer[];
    let token: string;
    let done: () => Promise<void>;

    beforeAll(async () => {
      const opened = await kind.open();
      done = opened.done;
      nodes = [];
      for (const dataDir of opened.dataDirs) {
        nodes.push(await startTestServer({ dataDir, env: opened.env }));
      }
      await nodes[0]!.createAdmin(ROOT.email, ROOT.password);
      token = await nodes[0]!.login(ROOT.email, ROOT.password);
    }, 60_000);
    afterAll(async () => {
      for (const node of nodes ?? []) await node.close();
      await done?.();
    });

    /** Sends `count` requests spread over both instances at once; returns the responses in order. */
    const race = (count: number, path: string, body: (i: number) => unknown) =>
      Promise.all(
        Array.from({ length: count }, (_, i) =>
          nodes[i % 2]!.request('POST', path, { token, body: body(i) }),
        ),
      );

    async function expectOneWinner(responses: Response[], code: string, field: string): Promise<number> {
      const statuses = responses.map((r) => r.status);
      expect(
        statuses.filter((s) => s === 201),
        statuses.join(','),
      ).toHaveLength(1);
      for (const response of responses.filter((r) => r.status !== 201)) {
        expect(response.status).toBe(409);
        const problem = await problemOf(response);
        expect(problem.code).toBe(code);
        expect(problem.errors?.map((e) => e.field)).toEqual([field]);
      }
      return statuses.indexOf(201);
    }

    it('one goal slug: exactly one definition, the others 409 on body.slug, nothing half-written', async () => {
      const created = await nodes[0]!.request('POST', '/api/v1/projects', {
        token,
        body: { name: 'Race', slug: 'race' },
      });
      expect(created.status).toBe(201);
      const projectId = ((await created.json()) as { id: string }).id;

      const responses = await race(12, `/api/v1/projects/${projectId}/goals`, (i) => ({
        slug: 'contested',
        name: `Goal ${i}`,
        type: 'counter',
      }));
      const winner = await expectOneWinner(responses, 'slug_taken', 'body.slug');
      const goalId = ((await responses[winner]!.json()) as { id: string }).id;

      const events = await allEvents(nodes[1]!.m3m.eventStore);
      const reservations = events.filter((e) => e.streamId === `goal-slug-${projectId}.contested`);
      expect(reservations.map((e) => [e.type, (e.data as { holderId: string }).holderId])).toEqual([
        ['SlugReserved', goalId],
      ]);
      const defined = events.filter(
        (e) => e.type === 'GoalDefined' && (e.data as { projectId: string }).projectId === projectId,
      );
      expect(defined.map((e) => e.streamId)).toEqual([`goal-${goalId}`]);
    });

    it('one email: exactly one user, the others 409 on body.email, nothing half-written', async () => {
      const email = 'contested@example.com';
      const responses = await race(12, '/api/v1/users', (i) => ({
        email,
        name: `User ${i}`,
        password: 'race-password-1',
      }));
      const winner = await expectOneWinner(responses, 'email_taken', 'body.email');
      const userId = ((await responses[winner]!.json()) as { id: string }).id;

      const events = await allEvents(nodes[0]!.m3m.eventStore);
      const reservations = events.filter((e) => e.streamId === emailStream(email));
      expect(reservations.map((e) => [e.type, (e.data as { userId: string }).userId])).toEqual([
        ['EmailReserved', userId],
      ]);
      const registered = events.filter(
        (e) => e.type === 'UserRegistered' && (e.data as { email: string }).email === email,
      );
      expect(registered.map((e) => e.streamId)).toEqual([`user-${userId}`]);
    });

    it('one new address for two users: one change wins, the other 409 and keeps its own address', async () => {
      const ids: string[] = [];
      for (const who of ['first', 'second']) {
        const response = await nodes[0]!.request('POST', '/api/v1/users', {
          token,
          body: { email: `${who}@example.com`, name: who, password: 'race-password-1' },
        });
        expect(response.status).toBe(201);
        ids.push(((await response.json()) as { id: string }).id);
      }
      const responses = await Promise.all(
        ids.map((id, i) =>
          nodes[i]!.request('PATCH', `/api/v1/users/${id}`, { token, body: { email: 'moved@example.com' } }),
        ),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409]);
      const loser = responses.findIndex((r) => r.status === 409);
      expect((await problemOf(responses[loser]!)).code).toBe('email_taken');

      const events = await allEvents(nodes[1]!.m3m.eventStore);
      const holders = (address: string) =>
        events
          .filter((e) => e.streamId === emailStream(address))
          .map((e) => [e.type, (e.data as { userId: string }).userId]);
      const winnerId = ids[1 - loser]!;
      expect(holders('moved@example.com')).toEqual([['EmailReserved', winnerId]]);
      expect(holders(`${['first', 'second'][loser]}@example.com`)).toEqual([['EmailReserved', ids[loser]]]);
      expect(holders(`${['first', 'second'][1 - loser]}@example.com`)).toEqual([
        ['EmailReserved', winnerId],
        ['EmailReleased', winnerId],
      ]);
    });
  });
}
