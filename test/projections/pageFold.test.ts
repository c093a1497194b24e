import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventSchemaRegistry } from '../../application/commands/eventSchemas.ts';
import type { NewEvent } from '../../application/ports/eventStore.ts';
import { findAll } from '../../application/ports/findAll.ts';
import { GOAL_DAILY, GOAL_TOTALS } from '../../application/projects/readModel.ts';
import { eventTypeStats } from '../../projections/eventTypeStats.ts';
import { goalStatsProjection } from '../../projections/goalStats.ts';
import { ProjectionRunner } from '../../projections/projectionRunner.ts';
import { openTempStores, type TempStores } from '../kit/stores.ts';

const meta = (i: number) => ({
  actorId: null,
  correlationId: randomUUID(),
  causationId: null,
  source: 'api' as const,
  schemaVersion: 1,
  timestamp: new Date(Date.UTC(2026, 2, 1, 0, 0, i)).toISOString(),
});

/**
 * Goal and event-type statistics fold a page into one write per goal (and day) or per type. Pages here hold
 * increments interleaved with the events that change which goals exist, so the fold must end each run of
 * increments at those events: the model after a live run (pages as they come), after a replay (pages of
 * up to 1000) and the totals worked out here by hand must all agree.
 */
describe('statistics folded per page', () => {
  let stores: TempStores;
  let runner: ProjectionRunner;

  beforeEach(async () => {
    stores = await openTempStores();
    runner = new ProjectionRunner({
      eventStore: stores.eventStore,
      readStore: stores.readStore,
      schemas: new EventSchemaRegistry(),
      projections: [goalStatsProjection, eventTypeStats],
    });
    await runner.start();
  });
  afterEach(async () => {
    await runner.stop();
    await stores.cleanup();
  });

  const snapshot = async () => ({
    totals: await findAll(stores.readStore.collection(GOAL_TOTALS)),
    daily: await findAll(stores.readStore.collection(GOAL_DAILY)),
    types: await findAll(stores.readStore.collection('event_type_stats')),
  });

  it('live, after a replay and by hand: the same totals, days and counts', async () => {
    const project = randomUUID();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const defined = (goalId: string, goalType: string, projectId: string | null = project) => ({
      type: 'GoalDefined',
      data: {
        goalId,
        projectId,
        slug: goalId.slice(0, 8),
        name: 'G',
        color: '#3b82f6',
        description: '',
        goalType,
        allowedProjectIds: [],
      },
    });
    const inc = (goalId: string, by: number, day: string) => ({
      type: 'GoalIncremented',
      data: { goalId, by, day, projectId: project },
    });
    const script = [
      defined(a, 'counter'),
      defined(b, 'daily_counter'),
      inc(a, 1, '2026-03-01'),
      inc(b, 2, '2026-03-01'),
      inc(b, 3, '2026-03-02'),
      inc(c, 100, '2026-03-01'), // not defined yet: ignored
      defined(c, 'counter', null),
      inc(c, 4, '2026-03-02'),
      inc(a, 5, '2026-03-02'),
      { type: 'GoalDeleted', data: { goalId: a } },
      inc(a, 1000, '2026-03-02'), // deleted: ignored
      inc(b, 6, '2026-03-02'),
      defined(a, 'daily_counter'), // defined again: starts from 0
      inc(a, 7, '2026-03-03'),
      inc(c, 8, '2026-03-03'),
    ];
    const events: NewEvent[] = script.map((e, i) => ({ ...e, metadata: meta(i) }));
    // Half one by one (pages of one event live), half in one append (one page holding them all).
    let position = 0;
    for (const e of events.slice(0, 7)) {
      position = (await stores.eventStore.append(`s-${randomUUID()}`, [e], { expectedRevision: 'any' }))
        .position;
    }
    position = (await stores.eventStore.append('batch', events.slice(7), { expectedRevision: 'any' }))
      .position;
    await runner.waitFor(position);
    const live = await snapshot();

    const byId = (docs: { id: string }[]) => Object.fromEntries(docs.map(({ id, ...rest }) => [id, rest]));
    expect(byId(live.totals)).toEqual({
      [a]: { projectId: project, goalType: 'daily_counter', total: 7 },
      [b]: { projectId: project, goalType: 'daily_counter', total: 11 },
      [c]: { projectId: null, goalType: 'counter', total: 12 },
    });
    expect(
      Object.fromEntries(live.daily.map((d) => [`${d.goalId === a ? 'a' : 'b'}:${d.day}`, d.value])),
    ).toEqual({ 'b:2026-03-01': 2, 'b:2026-03-02': 9, 'a:2026-03-03': 7 });
    expect(byId(live.types)).toEqual({
      GoalDefined: { count: 4, lastPosition: position - 2, lastAt: meta(12).timestamp },
      GoalIncremented: { count: 10, lastPosition: position, lastAt: meta(14).timestamp },
      GoalDeleted: { count: 1, lastPosition: position - 5, lastAt: meta(9).timestamp },
    });

    await runner.replay();
    expect(await snapshot()).toEqual(live);
  });
});
