import { userDecider } from '../../domain/user.ts';
import { loadAggregate } from '../commands/loadAggregate.ts';
import type { CommandDeps } from '../context.ts';
import { userStream } from './streams.ts';

/**
 * A claim (an email reservation, the root assignment) older than this whose holder does not use it is
 * abandoned: a process died between claiming and registering the user, or between giving an address up and
 * releasing it. Both steps follow each other within milliseconds, so a minute leaves ample room for a slow
 * request and none for a real conflict. The same rule as slug reservations (`application/projects`).
 */
export const ABANDONED_AFTER_MS = 60_000;

const PAGE = 1000;

/** The user whose claim the stream currently records, if that claim is older than the limit. */
async function staleClaim(deps: CommandDeps, streamId: string, claimType: string): Promise<string | null> {
  let last: { userId: string; at: string } | null = null;
  for (let from = 0; ; from += PAGE) {
    const page = await deps.eventStore.readStream(streamId, { fromRevision: from, limit: PAGE });
    for (const event of page) {
      if (event.type === claimType) {
        last = { userId: (event.data as { userId: string }).userId, at: event.metadata.timestamp };
      }
    }
    if (page.length < PAGE) break;
  }
  if (!last) return null;
  const age = deps.clock.now().getTime() - Date.parse(last.at);
  return age >= ABANDONED_AFTER_MS ? last.userId : null;
}

async function userState(deps: CommandDeps, userId: string) {
  return (await loadAggregate(deps.eventStore, deps.schemas, userStream(userId), userDecider)).state;
}

/** The holder of an old email reservation who is not (or no longer) a live user with this address. */
export async function abandonedEmailHolder(
  deps: CommandDeps,
  streamId: string,
  email: string,
): Promise<string | null> {
  const holder = await staleClaim(deps, streamId, 'EmailReserved');
  if (!holder) return null;
  const user = await userState(deps, holder);
  return user.status === 'active' && user.email === email ? null : holder;
}

/** The root assigned long ago to a user who was never registered. */
export async function abandonedRoot(deps: CommandDeps, streamId: string): Promise<string | null> {
  const holder = await staleClaim(deps, streamId, 'RootAssigned');
  if (!holder) return null;
  return (await userState(deps, holder)).status === 'none' ? holder : null;
}
