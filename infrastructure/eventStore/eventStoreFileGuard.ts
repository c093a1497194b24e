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
 * A `stat` per append costs a few microseconds.
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
  const guarded: EventStore = {
    append(streamId, events, options) {
      const reason = problem();
      if (reason) return Promise.reject(refuse('event_store_unavailable', reason));
      return store.append(streamId, events, options);
    },
    readStream: (...args) => store.readStream(...args),
    readEvent: (...args) => store.readEvent(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeAll: (...args) => store.subscribeAll(...args),
    headPosition: () => store.headPosition(),
    close: () => store.close(),
  };
  return { store: guarded, problem };
}
