import { statSync } from 'node:fs';
import { refuse } from '../../application/errors.ts';
import { REPLAY_ADVICE } from '../../application/eventFeed.ts';
import type { EventStore } from '../../application/ports/eventStore.ts';

export interface GuardedEventStore {
  store: EventStore;
  /** `null` while the file is the one opened, else what happened to it. */
  problem(): string | null;
}

/**
 * Notices the SQLite event store's file being deleted or replaced under a running server: SQLite would go
 * on writing into the unlinked file, acknowledging appends nobody will ever read again. From then on every
 * append is refused (`event_store_unavailable`) and the feed, asking `problem()`, stops its consumers.
 * A `stat` per turn of the event loop in which appends are made costs a few microseconds.
 */
export function guardEventStoreFile(store: EventStore, path: string): GuardedEventStore {
  const opened = statSync(path);
  const problem = (): string | null => {
    let now: ReturnType<typeof statSync>;
    try {
      now = statSync(path);
    } catch {
      return `the event store file ${path} was deleted under the running server: restore it and restart m3m (${REPLAY_ADVICE})`;
    }
    if (now.ino === opened.ino && now.dev === opened.dev) return null;
    return `the event store file ${path} was replaced under the running server: restart m3m (${REPLAY_ADVICE})`;
  };
  // One `stat` per turn of the event loop, shared by the appends of that turn: they are committed together
  // (the SQLite store's group commit), so one look before their commit is what one look per append was.
  let thisTurn: { reason: string | null } | null = null;
  const problemThisTurn = (): string | null => {
    if (!thisTurn) {
      thisTurn = { reason: problem() };
      setImmediate(() => {
        thisTurn = null;
      });
    }
    return thisTurn.reason;
  };
  const refused = () => {
    const reason = problemThisTurn();
    return reason ? Promise.reject(refuse('event_store_unavailable', reason)) : null;
  };
  const appendAtomically = store.appendAtomically?.bind(store);
  const guarded: EventStore = {
    append: (streamId, events, options) => refused() ?? store.append(streamId, events, options),
    ...(appendAtomically && { appendAtomically: (writes) => refused() ?? appendAtomically(writes) }),
    readStream: (...args) => store.readStream(...args),
    readEvent: (...args) => store.readEvent(...args),
    readPositions: (...args) => store.readPositions(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeAll: (...args) => store.subscribeAll(...args),
    headPosition: () => store.headPosition(),
    ...(store.wake && { wake: () => store.wake?.() ?? false }),
    close: () => store.close(),
  };
  return { store: guarded, problem };
}
