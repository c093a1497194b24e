import { project, projectStream } from '../../domain/project.ts';
import { loadAggregate } from '../commands/loadAggregate.ts';
import type { CommandDeps } from '../context.ts';
import type { SlugScope } from './slugReservations.ts';

/** Live project slugs are unique: one reservation stream per slug. */
export function projectSlugScope(deps: CommandDeps): SlugScope {
  return {
    name: 'project',
    stream: (slug) => `project-slug-${slug}`,
    holderUses: async (projectId, slug) => {
      const { state } = await loadAggregate(deps.eventStore, deps.schemas, projectStream(projectId), project);
      return state.status === 'live' && state.slug === slug;
    },
  };
}
