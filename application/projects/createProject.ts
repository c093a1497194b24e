import { randomUUID } from 'node:crypto';
import { type Color, isColor } from '../../domain/colors.ts';
import { DomainError } from '../../domain/decider.ts';
import { normalizeName, project, projectStream, validateProjectSlug } from '../../domain/project.ts';
import { handleClaimedAtomically } from '../commands/handleClaimed.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals, refuse } from '../errors.ts';
import { canCreateProjects } from './accessPolicy.ts';
import { generateApiKey } from './apiKeys.ts';
import type { ProjectDeps } from './deps.ts';
import { projectSlugScope } from './projectSlugs.ts';
import { releaseSlug, reserveSlug, slugClaim } from './slugReservations.ts';

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
 * streams in one transaction (SQLite, PostgreSQL), both are one append, also when an abandoned reservation is
 * taken over: of two creates racing for one slug exactly one gets it, and no crash or refusal can leave a
 * reservation without its project (ADR 20, ADR 25). Elsewhere the reservation comes first; if recording the
 * project fails the slug is given back (and, should the process die right there, it is reclaimed later as
 * abandoned).
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
      const [, created] = await handleClaimedAtomically(
        deps,
        slugClaim(deps, scope, input.slug, projectId),
        [{ streamId: projectStream(projectId), decider: project, command: create }],
        context,
      );
      return { projectId, apiKey: key, position: created!.position! };
    }
    // Without atomic appends to several streams (KurrentDB before 25.1): reserve first, give back on failure.
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
