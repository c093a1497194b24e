import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuditEntry, auditEntries } from '../../application/audit/queries.ts';
import {
  AUDIT_ACTORS,
  AUDIT_CHANGES,
  AUDIT_ENTITIES,
  AUDIT_LOG,
  AUDIT_LOG_SPEC,
  AUDIT_NAMES,
  type AuditNameDoc,
} from '../../application/audit/readModel.ts';
import { EventSchemaRegistry } from '../../application/commands/eventSchemas.ts';
import type { NewEvent } from '../../application/ports/eventStore.ts';
import { findAll } from '../../application/ports/findAll.ts';
import { auditProjection } from '../../projections/audit.ts';
import { checkpointCollectionOf, ProjectionRunner } from '../../projections/projectionRunner.ts';
import { openTempStores, type TempStores } from '../kit/stores.ts';

/**
 * The audit log folds a page at a time (its log table's rows in one bulk write, each entity's state once per
 * page) and a replay builds its seven indexes after the load (ADR 29). Live (one event per page, then a page holding several events
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

  const snapshot = async () => {
    const log: AuditEntry[] = [];
    const deps = {
      readStore: stores.readStore,
      eventStore: stores.eventStore,
      schemas: new EventSchemaRegistry(),
    };
    for await (const entry of auditEntries(deps, {})) log.push(entry);
    // Names are numbered in the order pages meet them: compared as the names they stand for.
    const names = new Map(
      (await findAll(stores.readStore.collection<AuditNameDoc>(AUDIT_NAMES))).map((doc) => [doc.n, doc.id]),
    );
    const rows = await stores.readStore.logTable(AUDIT_LOG, AUDIT_LOG_SPEC).find({ order: 1, limit: 1000 });
    return {
      log: log.reverse(),
      rows: rows.map(({ position, ts, ...columns }) => ({
        position,
        ts,
        ...Object.fromEntries(Object.entries(columns).map(([k, n]) => [k, n === 0 ? null : names.get(n)])),
      })),
      changes: await findAll(stores.readStore.collection(AUDIT_CHANGES)),
      actors: await findAll(stores.readStore.collection(AUDIT_ACTORS)),
      entities: await findAll(stores.readStore.collection(AUDIT_ENTITIES)),
    };
  };

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
    // Changes are kept for entity events only, never for an increment.
    expect(live.changes.length).toBe(script.length - 1);
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
          "SELECT COUNT(*) AS n FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND name GLOB 'rsix_*' AND sql IS NOT NULL",
        )
        .get(`rs_${AUDIT_LOG}`) as { n: number };
      expect(indexes.n).toBe(7);
    } finally {
      db.close();
    }
  });

  it('a read store holding the audit log of version 3 (a JSON copy of every event) rebuilds it at start', async () => {
    await runner.stop();
    const meta = {
      actorId: null,
      correlationId: randomUUID(),
      causationId: null,
      source: 'cli' as const,
      schemaVersion: 1,
      timestamp: '2026-03-01T00:00:00.000Z',
    };
    const { position } = await stores.eventStore.append(
      `goal-increments-${randomUUID()}`,
      [{ type: 'GoalIncremented', data: { goalId: randomUUID(), by: 1, day: '2026-03-01' }, metadata: meta }],
      { expectedRevision: 'any' },
    );
    // As the version 3 projection left it: documents in `audit_log`, its checkpoint at the head.
    await stores.readStore.dropCollection(AUDIT_LOG);
    await stores.readStore.ensureIndexes(AUDIT_LOG, [{ fields: ['type', 'id'] }]);
    await stores.readStore.collection(AUDIT_LOG).upsert({ id: '0000000000000001', type: 'GoalIncremented' });
    await stores.readStore
      .collection(checkpointCollectionOf('audit'))
      .upsert({ id: 'checkpoint', version: 3, position, updatedAt: meta.timestamp });
    // Until the rebuild, a query on the old table answers nothing rather than failing.
    expect(await stores.readStore.logTable(AUDIT_LOG, AUDIT_LOG_SPEC).find({ order: 1, limit: 5 })).toEqual(
      [],
    );

    const restarted = new ProjectionRunner({
      eventStore: stores.eventStore,
      readStore: stores.readStore,
      schemas: new EventSchemaRegistry(),
      projections: [auditProjection],
    });
    await restarted.start();
    try {
      const checkpoint = await stores.readStore.collection(checkpointCollectionOf('audit')).get('checkpoint');
      expect(checkpoint).toMatchObject({ version: auditProjection.version, position });
      const rows = await stores.readStore.logTable(AUDIT_LOG, AUDIT_LOG_SPEC).find({ order: 1, limit: 5 });
      expect(rows.map((row) => row.position)).toEqual([position]);
      const entries: AuditEntry[] = [];
      const deps = {
        readStore: stores.readStore,
        eventStore: stores.eventStore,
        schemas: new EventSchemaRegistry(),
      };
      for await (const entry of auditEntries(deps, { actor: 'cli' })) entries.push(entry);
      expect(entries.map((entry) => [entry.type, entry.actor.kind])).toEqual([['GoalIncremented', 'cli']]);
    } finally {
      await restarted.stop();
    }
  });
});
