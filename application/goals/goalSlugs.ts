import { goal, goalStream } from '../../domain/goal.ts';
import { loadAggregate } from '../commands/loadAggregate.ts';
import type { CommandDeps } from '../context.ts';
import type { SlugScope } from '../projects/slugReservations.ts';

/** A goal slug is unique among its project's goals, or among the global goals (`projectId` null). */
export function goalSlugScope(deps: CommandDeps, projectId: string | null): SlugScope {
  const owner = projectId ?? 'global';
  return {
    name: `goal:${owner}`,
    stream: (slug) => `goal-slug-${owner}.${slug}`,
    holderUses: async (goalId, slug) => {
      const { state } = await loadAggregate(deps.eventStore, deps.schemas, goalStream(goalId), goal);
      return state.status === 'live' && state.slug === slug;
    },
  };
}
