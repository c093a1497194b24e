import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSchemaRegistry } from '../../application/commands/eventSchemas.ts';
import type { Actor } from '../../application/context.ts';
import type { EventStore } from '../../application/ports/eventStore.ts';
import { createProject } from '../../application/projects/createProject.ts';
import type { ProjectDeps } from '../../application/projects/deps.ts';
import { openPostgresEventStore } from '../../infrastructure/eventStore/postgresEventStore.ts';
import { freshDatabase, type TestDatabase } from '../kit/postgres.ts';
import { TestClock } from '../kit/server.ts';
import { openTempStores, type TempStores } from '../kit/stores.ts';

/**
 * On PostgreSQL a project's slug reservation and the project's creation are one append (ADR 20): a process that
 * dies while creating a project leaves no reservation behind. Before, the reservation was appended first; a death
 * before the project's events held the slug for a minute (until reclaimed as abandoned), refusing it to everyone.
 */
describe('slug reservations atomic with the events they guard (PostgreSQL)', () => {
  let database: TestDatabase;
  let store: EventStore;
  let temp: TempStores;
  const actor: Actor = { kind: 'system' };

  beforeAll(async () => {
    database = await freshDatabase();
    store = await openPostgresEventStore({ url: database.url, pollIntervalMs: 50 });
    temp = await openTempStores();
  });
  afterAll(async () => {
    await store?.close();
    await temp?.cleanup();
    await database?.drop();
  });

  /** The store as a process sees it that dies the moment it writes a project's own stream. */
  function dyingOnProjectWrite(inner: EventStore): EventStore {
    let dead = false;
    const isProject = (streamId: string) => /^project-(?!slug-)/.test(streamId);
    const die = (streams: string[]) => {
      if (dead || streams.some(isProject)) {
        dead = true;
        throw new Error('the process died');
      }
    };
    return new Proxy(inner, {
      get(target, property) {
        if (property === 'append') {
          return (streamId: string, ...rest: unknown[]) => {
            die([streamId]);
            return (target.append as (...a: unknown[]) => unknown).call(target, streamId, ...rest);
          };
        }
        if (property === 'appendAtomically') {
          return (writes: { streamId: string }[]) => {
            die(writes.map((w) => w.streamId));
            return target.appendAtomically!(writes as never);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  const deps = (eventStore: EventStore): ProjectDeps => ({
    eventStore,
    readStore: temp.readStore,
    schemas: new EventSchemaRegistry(),
    clock: new TestClock(),
  });

  it('a create that dies before its project is written leaves the slug free at once', async () => {
    await expect(
      createProject(deps(dyingOnProjectWrite(store)), actor, { name: 'Shop', slug: 'shop' }),
    ).rejects.toThrow('the process died');
    // A restarted process (or another node) creates it at once: no reservation was left behind.
    const created = await createProject(deps(store), actor, { name: 'Shop', slug: 'shop' });
    const events = await store.readStream('project-slug-shop');
    expect(events.map((e) => (e.data as { holderId: string }).holderId)).toEqual([created.projectId]);
  });

  it('of two creates racing for one slug exactly one gets it', async () => {
    const results = await Promise.allSettled(
      ['a', 'b', 'c'].map((n) => createProject(deps(store), actor, { name: n, slug: 'race' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'slug_taken' });
    }
  });
});
