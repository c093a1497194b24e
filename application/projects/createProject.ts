import { randomUUID } from 'node:crypto';
import { type Color, isColor } from '../../domain/colors.ts';
import { DomainError } from '../../domain/decider.ts';
import { normalizeName, project, projectStream, validateProjectSlug } from '../../domain/project.ts';
import { slugReservation } from '../../domain/slugReservation.ts';
import { handleCommand, handleCommandsAtomically } from '../commands/handleCommand.ts';
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
 * Reserves the slug and records the project with its creator as owner. Where the event store appends to several
 * streams in one transaction (PostgreSQL), both are one append: of two creates racing for one slug exactly one
 * gets it, and no crash can leave a reservation without its project (ADR 20). Elsewhere, and when the slug is
 * held (perhaps by an abandoned reservation, which `reserveSlug` reclaims), the reservation comes first; if
 * recording the project fails the slug is given back (and, should the process die right there, it is reclaimed
 * later as abandoned).
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
    const { key, digest } = generateApiKey();
    const create = {
      type: 'CreateProject' as const,
      projectId,
      name: input.name,
      slug: input.slug,
      color: input.color ?? null,
      ownerId: actor.kind === 'user' ? actor.userId : null,
      apiKey: digest,
    };
    if (deps.eventStore.appendAtomically) {
      try {
        const [, created] = await handleCommandsAtomically(
          deps,
          [
            {
              streamId: scope.stream(input.slug),
              decider: slugReservation,
              command: {
                type: 'ReserveSlug',
                scope: scope.name,
                slug: input.slug,
                holderId: projectId,
                at: deps.clock.now().toISOString(),
              },
            },
            { streamId: projectStream(projectId), decider: project, command: create },
          ],
          context,
        );
        return { projectId, apiKey: key, position: created!.position! };
      } catch (error) {
        // Held already: the reservation path below refuses it or reclaims an abandoned one.
        if (!(error instanceof DomainError && error.code === 'slug_taken')) throw error;
      }
    }
    await reserveSlug(deps, scope, input.slug, projectId, context);
    try {
      const result = await handleCommand(deps, projectStream(projectId), project, create, context);
      return { projectId, apiKey: key, position: result.position! };
    } catch (error) {
      await releaseSlug(deps, scope, input.slug, projectId, context).catch(() => {});
      throw error;
    }
  });
}
