import { REPLAY_ADVICE } from './eventFeed.ts';
import type { EventStore } from './ports/eventStore.ts';
import type { Doc, ReadStore } from './ports/readStore.ts';
import { RUNTIME_CHECKPOINT } from './runtime/runtimeSubscriber.ts';

/**
 * Whether the read store still belongs to the event store (issue 14, crash and restore consistency). An event
 * store restored from an older backup, lost, or swapped for another leaves the read store's checkpoints
 * pointing at events it does not hold: the feed stops its consumers (`EventFeed`'s check) until `m3m replay`
 * (or `m3m serve --replay-if-behind`) rebuilds the read models from the store as it is.
 *
 * The event store's identity is the id of its first event: a backup of the same store keeps it, another
 * store (or a new, empty one once written to) has another. It is recorded in the read store the first time
 * it is seen, and again by a replay.
 */

const IDENTITY = 'm3m_event_store';
const IDENTITY_ID = 'identity';

interface IdentityDoc extends Doc {
  firstEventId: string;
  recordedAt: string;
}

async function firstEventId(eventStore: EventStore): Promise<string | null> {
  const [first] = await eventStore.readAll({ limit: 1 });
  return first?.id ?? null;
}

/**
 * `null` when the read store belongs to this event store (recording the identity when none is recorded yet),
 * else why not.
 */
export async function identityProblem(eventStore: EventStore, readStore: ReadStore): Promise<string | null> {
  const current = await firstEventId(eventStore);
  const identities = readStore.collection<IdentityDoc>(IDENTITY);
  const recorded = await identities.get(IDENTITY_ID);
  if (current === null) return null; // an empty store: checkpoints beyond its head tell the story
  if (!recorded) {
    await identities.upsert({ id: IDENTITY_ID, firstEventId: current, recordedAt: new Date().toISOString() });
    return null;
  }
  if (recorded.firstEventId === current) return null;
  return `the read store belongs to another event store (its first event was ${recorded.firstEventId}, this event store's is ${current}): ${REPLAY_ADVICE}`;
}

/** A checkpoint that only ever moves forward from now on: replaying history through it would act twice. */
export interface ForwardOnlyCheckpoint {
  collection: string;
  id: string;
}

/**
 * After every projection was rebuilt: records the event store's identity, and moves the checkpoints of the
 * consumers that act on the world (the runtime's, and `forwardOnly`: the webhook outbox's) back to the head
 * when they are beyond it or belonged to another store: workers and receivers get the events that come from
 * now on, never a history they would see twice or never.
 */
export async function realignAfterReplay(
  eventStore: EventStore,
  readStore: ReadStore,
  forwardOnly: ForwardOnlyCheckpoint[] = [],
): Promise<void> {
  const head = await eventStore.headPosition();
  const current = await firstEventId(eventStore);
  const identities = readStore.collection<IdentityDoc>(IDENTITY);
  const recorded = await identities.get(IDENTITY_ID);
  const otherStore = recorded !== null && current !== null && recorded.firstEventId !== current;
  for (const { collection, id } of [{ collection: RUNTIME_CHECKPOINT, id: 'checkpoint' }, ...forwardOnly]) {
    const checkpoints = readStore.collection<Doc & { position: number; updatedAt: string }>(collection);
    const checkpoint = await checkpoints.get(id);
    if (checkpoint && (checkpoint.position > head || otherStore)) {
      await checkpoints.upsert({ ...checkpoint, position: head, updatedAt: new Date().toISOString() });
    }
  }
  if (current === null) await identities.delete(IDENTITY_ID);
  else
    await identities.upsert({ id: IDENTITY_ID, firstEventId: current, recordedAt: new Date().toISOString() });
}
