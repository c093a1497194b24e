import { randomUUID } from 'node:crypto';
import { type Color, isColor } from '../../domain/colors.ts';
import { DomainError } from '../../domain/decider.ts';
import { normalizeName, project, projectStream, validateProjectSlug } from '../../domain/project.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals, refuse } from '../errors.ts';
import { canCreateProjects } from './accessPolicy.ts';
import { generateApiKey } from './apiKeys.ts';
import type { ProjectDeps } from './deps.ts';
import { projectSlugScope } from './projectSlugs.ts';
import { releaseSlug, reserveSlug } from './slugReservations.ts';

export interface CreateProjectInput {
  name: string;
  slug: string;
  color?: Color;
}

export interface CreatedProject {
  projectId: string;
  /** Shown once: only its hash is kept. */
  apiKey: string;
  /** `$all` position of the creation, to wait for the read models. */
  position: number;
}

export function validateProjectInput(input: { name?: string; slug?: string; color?: unknown }): void {
  refusals(() => {
    if (input.name !== undefined) normalizeName(input.name);
    if (input.slug !== undefined) validateProjectSlug(input.slug);
    if (input.color !== undefined && !isColor(input.color))
      throw new DomainError('invalid_color', 'Unknown colour; see GET /api/v1/colors.');
  });
}

/**
 * Reserves the slug, then records the project with its creator as owner. The reservation comes first so that
 * of two creates racing for one slug exactly one gets it; if recording the project fails the slug is given
 * back (and, should the process die right there, it is reclaimed later as abandoned).
 */
export async function createProject(
  deps: ProjectDeps,
  actor: Actor,
  input: CreateProjectInput,
  origin?: RequestOrigin,
): Promise<CreatedProject> {
  if (!canCreateProjects(actor)) {
    throw refuse('missing_permission', 'Creating projects needs the create_projects permission.');
  }
  validateProjectInput(input);
  const context = eventMetadata(actor, origin);
  const projectId = randomUUID();
  const scope = projectSlugScope(deps);
  return refusals(async () => {
    await reserveSlug(deps, scope, input.slug, projectId, context);
    const { key, digest } = generateApiKey();
    try {
      const result = await handleCommand(
        deps,
        projectStream(projectId),
        project,
        {
          type: 'CreateProject',
          projectId,
          name: input.name,
          slug: input.slug,
          color: input.color ?? null,
          ownerId: actor.kind === 'user' ? actor.userId : null,
          apiKey: digest,
        },
        context,
      );
      return { projectId, apiKey: key, position: result.position! };
    } catch (error) {
      await releaseSlug(deps, scope, input.slug, projectId, context).catch(() => {});
      throw error;
    }
  });
}
