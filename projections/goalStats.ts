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
    const event = { type: recorded.type, data: recorded.data } as GoalEvent | GoalIncremented | ProjectEvent;
    const totals = view.collection<TotalDoc>(GOAL_TOTALS);
    const daily = view.collection<GoalDailyDoc>(GOAL_DAILY);
    switch (event.type) {
      case 'GoalDefined':
        await totals.upsert({
          id: event.data.goalId,
          projectId: event.data.projectId,
          goalType: event.data.goalType,
          total: 0,
        });
        return;
      case 'GoalIncremented': {
        const { goalId, by, day } = event.data;
        const total = await totals.get(goalId);
        if (!total) return;
        await totals.patch(goalId, { $inc: { total: by } });
        if (total.goalType === 'daily_counter') {
          await daily.patch(
            goalDailyId(goalId, day),
            { $inc: { value: by }, $set: { goalId, day } },
            { upsert: true },
          );
        }
        return;
      }
      case 'GoalDeleted':
        await totals.delete(event.data.goalId);
        await daily.deleteMany({ goalId: event.data.goalId });
        return;
      case 'ProjectDeleted':
        for (const total of await findAll(totals, { projectId: event.data.projectId })) {
          await totals.delete(total.id);
          await daily.deleteMany({ goalId: total.id });
        }
        return;
      default:
        return;
    }
  },
};
