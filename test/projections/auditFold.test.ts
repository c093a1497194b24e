import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_ACTORS, AUDIT_ENTITIES, AUDIT_LOG } from '../../application/audit/readModel.ts';
import { EventSchemaRegistry } from '../../application/commands/eventSchemas.ts';
import type { NewEvent } from '../../application/ports/eventStore.ts';
import { findAll } from '../../application/ports/findAll.ts';
import { auditProjection } from '../../projections/audit.ts';
import { ProjectionRunner } from '../../projections/projectionRunner.ts';
import { openTempStores, type TempStores } from '../kit/stores.ts';

/**
 * The audit log folds a page at a time (entries in one bulk write, each entity's state once per page) and a
 * replay builds its seven indexes after the load. Live (one event per page, then a page holding several events
 * of one entity) and after a replay, the log, the actors and the entity states must be the same, and each
 * entry's changes must be those of that event alone.
 */
describe('audit log folded per page', () => {
  let stores: TempStores;
  let runner: ProjectionRunner;

  beforeEach(async () => {
    stores = await openTempStores();
    runner = new ProjectionRunner({
      eventStore: stores.eventStore,
      readStore: stores.readStore,
      schemas: new EventSchemaRegistry(),
      projections: [auditProjection],
    });
    await runner.start();
  });
  afterEach(async () => {
    await runner.stop();
    await stores.cleanup();
  });

  const snapshot = async () => ({
    log: await findAll(stores.readStore.collection(AUDIT_LOG)),
    actors: await findAll(stores.readStore.collection(AUDIT_ACTORS)),
    entities: await findAll(stores.readStore.collection(AUDIT_ENTITIES)),
  });

  it('live and after a replay: the same entries, changes, actors and entity states', async () => {
    const user = randomUUID();
    const project = randomUUID();
    const meta = (i: number) => ({
      actorId: user,
      correlationId: randomUUID(),
      causationId: null,
      source: 'api' as const,
      schemaVersion: 1,
      timestamp: new Date(Date.UTC(2026, 2, 1, 0, 0, i)).toISOString(),
      requestId: `req-${i}`,
    });
    const script: [string, string, unknown][] = [
      [
        `user-${user}`,
        'UserRegistered',
        { userId: user, email: 'a@example.com', name: 'A', passwordHash: 'secret-hash', role: 'user' },
      ],
      [
        `project-${project}`,
        'ProjectCreated',
        { projectId: project, name: 'P', slug: 'p', color: '#3b82f6', ownerId: user },
      ],
      // From here on, appended together: one page with several events of each entity.
      [`user-${user}`, 'UserProfileChanged', { name: 'B' }],
      [`project-${project}`, 'ProjectRenamed', { projectId: project, name: 'Q' }],
      [`user-${user}`, 'UserEmailChanged', { email: 'b@example.com' }],
      [`project-${project}`, 'ProjectRenamed', { projectId: project, name: 'R' }],
      [
        `goal-increments-${randomUUID()}`,
        'GoalIncremented',
        { goalId: randomUUID(), by: 1, day: '2026-03-01', projectId: project },
      ],
      [`user-${user}`, 'UserPasswordChanged', { passwordHash: 'another-hash' }],
      [`user-${user}`, 'UserDeleted', {}],
    ];
    const events = script.map(([stream, type, data], i) => ({
      stream,
      event: { type, data, metadata: meta(i) } as NewEvent,
    }));
    for (const { stream, event } of events.slice(0, 2)) {
      await stores.eventStore.append(stream, [event], { expectedRevision: 'any' });
    }
    // One turn: the appends share a group commit, and the feed reads them as one page.
    const results = await Promise.all(
      events
        .slice(2)
        .map(({ stream, event }) => stores.eventStore.append(stream, [event], { expectedRevision: 'any' })),
    );
    await runner.waitFor(Math.max(...results.map((r) => r.position)));
    const live = await snapshot();

    expect(live.log).toHaveLength(script.length);
    const changesOf = (type: string, nth = 0) =>
      live.log.filter((entry) => entry.type === type)[nth]!.changes as {
        field: string;
        before: unknown;
        after: unknown;
      }[];
    expect(changesOf('ProjectRenamed', 0)).toEqual([{ field: 'name', before: 'P', after: 'Q' }]);
    expect(changesOf('ProjectRenamed', 1)).toEqual([{ field: 'name', before: 'Q', after: 'R' }]);
    expect(changesOf('UserEmailChanged')).toEqual([
      { field: 'email', before: 'a@example.com', after: 'b@example.com' },
    ]);
    expect(JSON.stringify(live)).not.toContain('another-hash');
    expect(live.log.find((entry) => entry.type === 'GoalIncremented')!.changes).toBeNull();
    expect(live.actors).toEqual([
      { id: user, name: 'B', email: 'b@example.com', deleted: true, deletedAt: meta(8).timestamp },
    ]);

    await runner.replay();
    expect(await snapshot()).toEqual(live);
    // The seven indexes the audit queries need are there after the replay's bulk load.
    const db = new DatabaseSync(join(stores.dir, 'read.sqlite'), { readOnly: true });
    try {
      const indexes = db
        .prepare(
          "SELECT COUNT(*) AS n FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND name GLOB 'rsix_*'",
        )
        .get(`rs_${AUDIT_LOG}`) as { n: number };
      expect(indexes.n).toBe(7);
    } finally {
      db.close();
    }
  });
});
