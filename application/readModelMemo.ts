import type { Doc, ReadStore } from './ports/readStore.ts';

/** Where a projection keeps its checkpoint (document id `checkpoint`). */
export function checkpointCollectionOf(projectionName: string): string {
  return `m3m_checkpoint_${projectionName}`;
}

interface CheckpointDoc extends Doc {
  position?: number;
  updatedAt?: string;
}

const MAX_ENTRIES = 10_000;

/**
 * Answers hot read-model lookups from memory (API key → project, goal slug → goal, the event types workers
 * listen to) and stays correct across processes: before an entry is trusted, the checkpoint of the projection
 * that owns the read model is read, and any change of it (this process's runner or another process applied an
 * event of its types, a replay swapped it) drops every entry. A rotated key is thus refused by the first request
 * after the rotation is projected, in every process on the store, as it was without the memo; a TTL could not
 * promise that. A checkpoint moves only when a page holds events of the projection's own types, so a stream of
 * goal increments leaves the projects' and goals' memos alone.
 *
 * The checkpoint is read at most once per turn of the event loop and memo: requests answered in the same turn
 * are concurrent with any commit made during it. See docs/adr/0019-increment-path-and-replay.md. Where the store
 * tells when anything at all was committed (`ReadStore.commitVersion`), not even that while nothing was: a burst of
 * event deliveries, one per turn, asks three memos each and commits a batch of records every few milliseconds
 * (docs/adr/0032-bursts-to-one-worker-second-pass.md).
 */
export class ReadModelMemo<V> {
  readonly #readStore: ReadStore;
  readonly #checkpoints: string;
  readonly #entries = new Map<string, V>();
  #marker: string | undefined;
  #markerRead: Promise<string> | null = null;
  /** The last marker read and the store's commit version taken just before that read (if the store has one). */
  #known: { version: number; marker: string } | null = null;

  constructor(readStore: ReadStore, projectionName: string) {
    this.#readStore = readStore;
    this.#checkpoints = checkpointCollectionOf(projectionName);
  }

  /** The remembered value for `key`, else what `load` finds (remembered unless it is `null`). */
  async get(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const marker = await this.#currentMarker();
    if (marker !== this.#marker) {
      this.#entries.clear();
      this.#marker = marker;
    }
    const hit = this.#entries.get(key);
    if (hit !== undefined) return hit;
    // Loaded after the marker was read: at least as new as it, so safe to keep under it.
    const value = await load();
    if (value !== null && this.#marker === marker) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
      this.#entries.set(key, value);
    }
    return value;
  }

  #currentMarker(): Promise<string> {
    if (!this.#markerRead) {
      // Nothing committed anywhere since the last marker was read (that read came after this version): unchanged.
      const version = commitVersionThisTurn(this.#readStore);
      const known = this.#known;
      if (version !== undefined && known?.version === version) return Promise.resolve(known.marker);
      this.#markerRead = this.#readStore
        .collection<CheckpointDoc>(this.#checkpoints)
        .get('checkpoint')
        .then((doc) => {
          const marker = doc ? `${doc.position}|${doc.updatedAt}` : '';
          if (version !== undefined) this.#known = { version, marker };
          return marker;
        });
      setImmediate(() => {
        this.#markerRead = null;
      });
    }
    return this.#markerRead;
  }
}

/** Per store, its commit version as read in this turn of the event loop (`undefined`: the store has none). */
const turnVersions = new WeakMap<ReadStore, number | undefined>();

/**
 * The store's commit version, read once per turn for all its memos (the read costs about what a checkpoint read
 * does): a delivery asks three memos in one turn.
 */
function commitVersionThisTurn(readStore: ReadStore): number | undefined {
  if (!readStore.commitVersion) return undefined;
  if (turnVersions.has(readStore)) return turnVersions.get(readStore);
  const version = readStore.commitVersion();
  turnVersions.set(readStore, version);
  setImmediate(() => turnVersions.delete(readStore));
  return version;
}

const memos = new WeakMap<ReadStore, Map<string, ReadModelMemo<unknown>>>();

/** The memo of one lookup (`name`) on one projection's read model, one per read store in a process. */
export function readModelMemo<V>(
  readStore: ReadStore,
  projectionName: string,
  name: string,
): ReadModelMemo<V> {
  let byName = memos.get(readStore);
  if (!byName) {
    byName = new Map();
    memos.set(readStore, byName);
  }
  const key = `${projectionName}:${name}`;
  let memo = byName.get(key);
  if (!memo) {
    memo = new ReadModelMemo<unknown>(readStore, projectionName);
    byName.set(key, memo);
  }
  return memo as ReadModelMemo<V>;
}
