import { findAll } from '../application/ports/findAll.ts';
import {
  GOAL_DAILY,
  GOAL_TOTALS,
  type GoalDailyDoc,
  type GoalTotalDoc,
  goalDailyId,
} from '../application/projects/readModel.ts';
import type { GoalEvent, GoalIncremented } from '../domain/goal.ts';
import type { ProjectEvent } from '../domain/project.ts';
import type { Projection } from './projection.ts';

interface TotalDoc extends GoalTotalDoc {
  projectId: string | null;
}

/**
 * A goal's total, and for a daily counter its value per UTC day. Increments are `$inc`s written with the
 * checkpoint in one transaction (the runner's guarantee), so after a crash or a replay every increment is
 * counted exactly once. Increments of a goal that is unknown or already deleted are ignored.
 */
export const goalStatsProjection: Projection = {
  name: 'goal_stats',
  version: 1,
  collections: {
    [GOAL_TOTALS]: [{ fields: ['projectId'] }],
    [GOAL_DAILY]: [{ fields: ['goalId', 'day'] }],
  },
  eventTypes: ['GoalDefined', 'GoalIncremented', 'GoalDeleted', 'ProjectDeleted'],
  async apply(recorded, view) {
    await goalStatsProjection.applyPage!([recorded], view);
  },
  /**
   * Increments are summed per goal (and per goal and day) and written once each before the next event of
   * another type and at the end: a page of a thousand increments of a few goals is a few `$inc`s. Whether a
   * goal is known (and a daily counter) is read once per goal between such events, which alone change it.
   */
  async applyPage(events, view) {
    const totals = view.collection<TotalDoc>(GOAL_TOTALS);
    const daily = view.collection<GoalDailyDoc>(GOAL_DAILY);
    const known = new Map<string, TotalDoc | null>();
    const sums = new Map<string, { by: number; days: Map<string, number> }>();
    const flush = async () => {
      for (const [goalId, { by, days }] of sums) {
        await totals.patch(goalId, { $inc: { total: by } });
        for (const [day, value] of days) {
          await daily.patch(
            goalDailyId(goalId, day),
            { $inc: { value }, $set: { goalId, day } },
            { upsert: true },
          );
        }
      }
      sums.clear();
      known.clear();
    };
    for (const recorded of events) {
      const event = { type: recorded.type, data: recorded.data } as
        | GoalEvent
        | GoalIncremented
        | ProjectEvent;
      if (event.type === 'GoalIncremented') {
        const { goalId, by, day } = event.data;
        let total = known.get(goalId);
        if (total === undefined) {
          total = await totals.get(goalId);
          known.set(goalId, total);
        }
        if (!total) continue;
        let sum = sums.get(goalId);
        if (!sum) {
          sum = { by: 0, days: new Map() };
          sums.set(goalId, sum);
        }
        sum.by += by;
        if (total.goalType === 'daily_counter') sum.days.set(day, (sum.days.get(day) ?? 0) + by);
        continue;
      }
      await flush();
      switch (event.type) {
        case 'GoalDefined':
          await totals.upsert({
            id: event.data.goalId,
            projectId: event.data.projectId,
            goalType: event.data.goalType,
            total: 0,
          });
          break;
        case 'GoalDeleted':
          await totals.delete(event.data.goalId);
          await daily.deleteMany({ goalId: event.data.goalId });
          break;
        case 'ProjectDeleted':
          for (const total of await findAll(totals, { projectId: event.data.projectId })) {
            await totals.delete(total.id);
            await daily.deleteMany({ goalId: total.id });
          }
          break;
        default:
          break;
      }
    }
    await flush();
  },
};
