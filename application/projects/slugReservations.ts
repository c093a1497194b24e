import { DomainError } from '../../domain/decider.ts';
import { slugReservation } from '../../domain/slugReservation.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { loadAggregate } from '../commands/loadAggregate.ts';
import type { CommandContext, CommandDeps } from '../context.ts';

/**
 * A reservation older than this whose holder does not use the slug is abandoned: a process died between
 * reserving a slug and taking it, or between giving it up and releasing it. Reserving and using a slug take
 * milliseconds, so a minute leaves ample room for a slow request and none for a real conflict.
 */
export const ABANDONED_AFTER_MS = 60_000;

export interface SlugScope {
  /** Recorded in the reservation events: `project`, `goal:global`, `goal:<projectId>`. */
  name: string;
  stream(slug: string): string;
  /** Whether the holder (a project or goal id) is live and currently has this slug. */
  holderUses(holderId: string, slug: string): Promise<boolean>;
}

/**
 * Reserves `slug` for `holderId` (a no-op when it already holds it). A slug held by someone else fails with
 * `slug_taken`, unless that reservation is abandoned, in which case it is taken over — with the expected
 * revision, so that only one of several writers racing for it wins.
 */
export async function reserveSlug(
  deps: CommandDeps,
  scope: SlugScope,
  slug: string,
  holderId: string,
  context: CommandContext,
): Promise<void> {
  const stream = scope.stream(slug);
  const at = () => deps.clock.now().toISOString();
  try {
    await handleCommand(
      deps,
      stream,
      slugReservation,
      { type: 'ReserveSlug', scope: scope.name, slug, holderId, at: at() },
      context,
    );
  } catch (error) {
    if (!(error instanceof DomainError && error.code === 'slug_taken')) throw error;
    const { state } = await loadAggregate(deps.eventStore, deps.schemas, stream, slugReservation);
    if (state.holderId !== null) {
      const age = deps.clock.now().getTime() - Date.parse(state.since ?? '');
      if (!(age >= ABANDONED_AFTER_MS) || (await scope.holderUses(state.holderId, slug))) throw error;
    }
    await handleCommand(
      deps,
      stream,
      slugReservation,
      { type: 'ReclaimSlug', scope: scope.name, slug, holderId, abandonedBy: state.holderId ?? '', at: at() },
      context,
    );
  }
}

/** Gives the slug back if `holderId` holds it; otherwise does nothing. */
export async function releaseSlug(
  deps: CommandDeps,
  scope: SlugScope,
  slug: string,
  holderId: string,
  context: CommandContext,
): Promise<void> {
  await handleCommand(
    deps,
    scope.stream(slug),
    slugReservation,
    { type: 'ReleaseSlug', scope: scope.name, slug, holderId },
    context,
  );
}
