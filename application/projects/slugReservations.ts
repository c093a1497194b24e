import { type SlugReservationCommand, slugReservation } from '../../domain/slugReservation.ts';
import { type Claim, isRefusal } from '../commands/handleClaimed.ts';
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
 * The holder of `slug`'s reservation when it is abandoned (older than `ABANDONED_AFTER_MS` and its holder does not
 * use the slug): `''` when nobody holds it, `null` when its holder may still be about to use it or uses it.
 */
async function abandonedHolder(deps: CommandDeps, scope: SlugScope, slug: string): Promise<string | null> {
  const { state } = await loadAggregate(deps.eventStore, deps.schemas, scope.stream(slug), slugReservation);
  if (state.holderId === null) return '';
  const age = deps.clock.now().getTime() - Date.parse(state.since ?? '');
  if (!(age >= ABANDONED_AFTER_MS) || (await scope.holderUses(state.holderId, slug))) return null;
  return state.holderId;
}

/** The commands that take `slug` for `holderId`: while it is free, and when its reservation is abandoned. */
function takingCommands(deps: CommandDeps, scope: SlugScope, slug: string, holderId: string) {
  const at = () => deps.clock.now().toISOString();
  const reserve: SlugReservationCommand = {
    type: 'ReserveSlug',
    scope: scope.name,
    slug,
    holderId,
    at: at(),
  };
  const reclaim = async (): Promise<SlugReservationCommand | null> => {
    const abandonedBy = await abandonedHolder(deps, scope, slug);
    if (abandonedBy === null) return null;
    return { type: 'ReclaimSlug', scope: scope.name, slug, holderId, abandonedBy, at: at() };
  };
  return { reserve, reclaim };
}

/**
 * `slug` for `holderId` as a claim for `handleClaimedAtomically`: reserved in one append with its holder's
 * events, or taken over with them when the reservation found is abandoned.
 */
export function slugClaim(deps: CommandDeps, scope: SlugScope, slug: string, holderId: string): Claim {
  const streamId = scope.stream(slug);
  const { reserve, reclaim } = takingCommands(deps, scope, slug, holderId);
  return {
    reserve: { streamId, decider: slugReservation, command: reserve },
    takenCode: 'slug_taken',
    reclaim: async () => {
      const command = await reclaim();
      return command && { streamId, decider: slugReservation, command };
    },
  };
}

/**
 * Reserves `slug` for `holderId` on its own (a no-op when it already holds it), for the uses and the event
 * stores that cannot append it with its holder's events. A slug held by someone else fails with `slug_taken`,
 * unless that reservation is abandoned, in which case it is taken over — with the expected revision, so that
 * only one of several writers racing for it wins.
 */
export async function reserveSlug(
  deps: CommandDeps,
  scope: SlugScope,
  slug: string,
  holderId: string,
  context: CommandContext,
): Promise<void> {
  const stream = scope.stream(slug);
  const { reserve, reclaim } = takingCommands(deps, scope, slug, holderId);
  try {
    await handleCommand(deps, stream, slugReservation, reserve, context);
  } catch (error) {
    if (!isRefusal(error, 'slug_taken')) throw error;
    const takeover = await reclaim();
    if (!takeover) throw error;
    await handleCommand(deps, stream, slugReservation, takeover, context);
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
