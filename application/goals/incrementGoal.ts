import { randomUUID } from 'node:crypto';
import { incrementGoal as decideIncrement, goalIncrementsStream } from '../../domain/goal.ts';
import { type Actor, eventMetadata, type RequestOrigin, storedMetadata } from '../context.ts';
import { refusals } from '../errors.ts';
import { projectMayWriteGoal } from '../projects/accessPolicy.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { findGoal, findUsableGoal, noSuchGoal } from './queries.ts';

/** Who increments: a signed-in user, or an external system holding a project's API key. */
export type GoalWriter = { kind: 'actor'; actor: Actor } | { kind: 'project'; projectId: string };

export interface IncrementResult {
  goalId: string;
  slug: string;
  by: number;
  /** The UTC day it counts for. */
  day: string;
  position: number;
}

/**
 * Adds `by` to a goal. The writer is checked against the read models (goal exists, writer allowed); then the
 * `GoalIncremented` event is appended to the goal's increments stream with no revision check: increments
 * commute, so concurrent ones need not retry against each other, and none is lost (each is its own event).
 * The statistics projection adds them up.
 */
export async function incrementGoal(
  deps: ProjectDeps,
  writer: GoalWriter,
  idOrSlug: string,
  by = 1,
  origin?: RequestOrigin,
  /** Checks and decides everything, appends nothing (`position` 0): a worker's dry run. */
  options: { dryRun?: boolean } = {},
): Promise<IncrementResult> {
  let doc: Awaited<ReturnType<typeof findGoal>>;
  let projectId: string | null;
  if (writer.kind === 'project') {
    doc = await findGoal(deps, idOrSlug);
    if (!doc) throw noSuchGoal();
    // A goal the project may not write is answered as a missing one, so a key cannot list others' slugs.
    if (!projectMayWriteGoal(writer.projectId, doc)) throw noSuchGoal();
    projectId = writer.projectId;
  } else {
    doc = await findUsableGoal(deps, writer.actor, idOrSlug);
    projectId = doc.projectId;
  }
  const now = deps.clock.now();
  const event = refusals(() => decideIncrement({ goalId: doc.id }, by, projectId, now));
  if (options.dryRun) return { goalId: doc.id, slug: doc.slug, by, day: event.data.day, position: 0 };
  const context = eventMetadata(writer.kind === 'actor' ? writer.actor : null, origin);
  const { position } = await deps.eventStore.append(
    goalIncrementsStream(doc.id),
    [
      {
        id: randomUUID(),
        type: event.type,
        data: event.data,
        metadata: storedMetadata(context, deps.schemas.currentVersion(event.type), now),
      },
    ],
    { expectedRevision: 'any' },
  );
  return { goalId: doc.id, slug: doc.slug, by, day: event.data.day, position };
}
