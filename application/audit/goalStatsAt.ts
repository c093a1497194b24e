import {
  fullGoalSlug,
  type GoalState,
  type GoalType,
  goal,
  goalIncrementsStream,
  goalStream,
} from '../../domain/goal.ts';
import { type ProjectState, project, projectStream } from '../../domain/project.ts';
import { upcastEvent } from '../commands/loadAggregate.ts';
import type { Actor } from '../context.ts';
import { dayRange } from '../dayRange.ts';
import type { GoalStats } from '../goals/queries.ts';
import type { RecordedEvent } from '../ports/eventStore.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { findManageableProject } from '../projects/queries.ts';
import type { Moment } from './timeTravel.ts';

/**
 * A project's goal statistics as of a moment (what the goal stats route answered then), from the event store
 * only: the goals defined and not deleted then (their streams folded by the goal decider), each one's total
 * then and, for a daily counter, its values per UTC day then. Never reads the live read models for the
 * figures (DESIGN §1: audit inspection is the one query that may read the events); access is the project
 * audit's (owner, global admins).
 */

export interface GoalStatsAt {
  projectId: string;
  /** The newest event counted (of the project, its goals and their increments); null when none yet then. */
  asOf: { position: number; time: string } | null;
  goals: GoalStats[];
}

const PAGE = 1000;

async function* streamUpTo(
  deps: Pick<ProjectDeps, 'eventStore'>,
  stream: string,
  within: (e: RecordedEvent) => boolean,
): AsyncGenerator<RecordedEvent> {
  for (let from = 0; ; ) {
    const page = await deps.eventStore.readStream(stream, { fromRevision: from, limit: PAGE });
    for (const recorded of page) {
      if (!within(recorded)) return;
      yield recorded;
    }
    if (page.length < PAGE) return;
    from = page.at(-1)!.revision + 1;
  }
}

export async function goalStatsAt(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  at: Moment,
  range: { from?: string | undefined; to?: string | undefined },
): Promise<GoalStatsAt> {
  await findManageableProject(deps, actor, projectId);
  const within = (e: RecordedEvent) =>
    'position' in at ? e.position <= at.position : e.metadata.timestamp <= at.time;
  let asOf: GoalStatsAt['asOf'] = null;
  const seen = (e: RecordedEvent) => {
    if (!asOf || e.position > asOf.position) asOf = { position: e.position, time: e.metadata.timestamp };
  };
  const fold = async <S>(decider: { initialState: S; evolve: (s: S, e: never) => S }, stream: string) => {
    let state = decider.initialState;
    for await (const recorded of streamUpTo(deps, stream, within)) {
      const event = upcastEvent(deps.schemas, recorded);
      state = decider.evolve(state, { type: event.type, data: event.data } as never);
      seen(recorded);
    }
    return state;
  };

  const projectState = await fold<ProjectState>(project, projectStream(projectId));

  // The goals defined up to the moment: `GoalDefined` events of `$all`, filtered by the store.
  const defined = new Map<string, GoalType>();
  for (let fromPosition = 0; ; ) {
    const page = await deps.eventStore.readAll({
      fromPosition,
      limit: PAGE,
      filter: { eventTypes: ['GoalDefined'], streamPrefixes: ['goal-'] },
    });
    let past = false;
    for (const recorded of page) {
      if (!within(recorded)) {
        past = true;
        break;
      }
      const data = upcastEvent(deps.schemas, recorded).data as {
        goalId: string;
        projectId: string | null;
        goalType: GoalType;
      };
      if (data.projectId === projectId) defined.set(data.goalId, data.goalType);
    }
    if (past || page.length < PAGE) break;
    fromPosition = page.at(-1)!.position;
  }

  const goals: GoalStats[] = [];
  const daily: { stats: GoalStats; values: Map<string, number> }[] = [];
  for (const [goalId, type] of defined) {
    const state = await fold<GoalState>(goal, goalStream(goalId));
    if (state.status !== 'live') continue;
    let total = 0;
    const values = new Map<string, number>();
    for await (const recorded of streamUpTo(deps, goalIncrementsStream(goalId), within)) {
      const { by, day } = upcastEvent(deps.schemas, recorded).data as { by: number; day: string };
      total += by;
      if (type === 'daily_counter') values.set(day, (values.get(day) ?? 0) + by);
      seen(recorded);
    }
    const stats: GoalStats = { goalId, slug: fullGoalSlug(projectState.slug, state.slug), type, total };
    goals.push(stats);
    if (type === 'daily_counter') daily.push({ stats, values });
  }

  // "Today" as of then: the moment's time, or (for a position) the newest event counted; the head: now.
  const today =
    'time' in at
      ? new Date(at.time)
      : at.position === Number.MAX_SAFE_INTEGER || asOf === null
        ? deps.clock.now()
        : new Date((asOf as { time: string }).time);
  if (daily.length > 0 || range.from !== undefined || range.to !== undefined) {
    const { from, to, days } = dayRange(range, today);
    for (const { stats, values } of daily) {
      Object.assign(stats, { from, to, days: days.map((day) => ({ day, value: values.get(day) ?? 0 })) });
    }
  }
  goals.sort((a, b) => a.slug.localeCompare(b.slug));
  return { projectId, asOf, goals };
}
