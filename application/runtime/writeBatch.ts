import type { ReadStore, ReadStoreSession } from '../ports/readStore.ts';

/**
 * The runtime's small writes that go together (docs/adr/0032-bursts-to-one-worker-second-pass.md): invocation
 * records with their daily statistics, and event deliveries' outcomes. Writes queued meanwhile share one read-store
 * transaction (at most `BATCH_MAX`); should it fail, each is done again in a transaction of its own, so one bad
 * write sinks no other.
 *
 * A write someone waits for (an HTTP trigger's record, answered once stored) goes in the next turn of the event
 * loop. A write nobody waits for (`linger`: an event delivery's record and outcome, whose lane has moved on
 * already) waits up to `LINGER_MS` for others to join it: a lane running one delivery after another then writes
 * a handful per transaction instead of two transactions per delivery.
 */

/** How long a write nobody waits for may wait for company. */
export const LINGER_MS = 10;
const BATCH_MAX = 500;

/**
 * Per transaction of a batch: reads shared by its writes (`sameInBatch`) and writes merged into one
 * (`mergeInBatch`), done just before it commits. Keyed by the session, so a write done again on its own (after
 * the batch failed) gets a fresh one.
 */
interface BatchScope {
  shared: Map<string, Promise<unknown>>;
  merged: Map<string, { value: unknown; write(session: ReadStoreSession, value: unknown): Promise<void> }>;
}

const scopes = new WeakMap<ReadStoreSession, BatchScope>();

/** Runs `work` in `readStore`'s transaction with a batch scope, its merged writes done last. */
async function inScope<T>(readStore: ReadStore, work: (session: ReadStoreSession) => Promise<T>): Promise<T> {
  return readStore.transaction(async (session) => {
    const scope: BatchScope = { shared: new Map(), merged: new Map() };
    scopes.set(session, scope);
    const result = await work(session);
    for (const { value, write } of scope.merged.values()) await write(session, value);
    return result;
  });
}

/**
 * A read done once per transaction of a batch and shared by its writes (the project's quotas of a hundred records
 * of one burst): the transaction holds the writer lock, so nothing changes it meanwhile. Outside a batch: `load`.
 */
export function sameInBatch<T>(session: ReadStoreSession, key: string, load: () => Promise<T>): Promise<T> {
  const scope = scopes.get(session);
  if (!scope) return load();
  let value = scope.shared.get(key) as Promise<T> | undefined;
  if (!value) {
    value = load();
    scope.shared.set(key, value);
  }
  return value;
}

/**
 * A write merged with the same `key`'s in this transaction of a batch and done once, just before it commits (the
 * daily statistics of a burst's records: one `$inc` of their sums instead of one per record). `add` folds this
 * write's part into the value (`initial` for the first). Outside a batch it is done at once.
 */
export async function mergeInBatch<V>(
  session: ReadStoreSession,
  key: string,
  part: { initial(): V; add(value: V): V; write(session: ReadStoreSession, value: V): Promise<void> },
): Promise<void> {
  const scope = scopes.get(session);
  if (!scope) {
    await part.write(session, part.add(part.initial()));
    return;
  }
  const entry = scope.merged.get(key);
  if (entry) entry.value = part.add(entry.value as V);
  else {
    scope.merged.set(key, {
      value: part.add(part.initial()),
      write: part.write as (session: ReadStoreSession, value: unknown) => Promise<void>,
    });
  }
}

interface Pending {
  work(session: ReadStoreSession): Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

class WriteBatch {
  readonly #readStore: ReadStore;
  #pending: Pending[] = [];
  #flushing: Promise<void> | null = null;
  /** A flush is due in the next turn (someone waits), else at `#timer`. */
  #soon = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(readStore: ReadStore) {
    this.#readStore = readStore;
  }

  write<T>(work: (session: ReadStoreSession) => Promise<T>, linger: boolean): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.#pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
    if (!linger) this.#soon = true;
    this.#schedule();
    return promise;
  }

  /** Resolves once everything queued so far is written (or has failed). */
  async drain(): Promise<void> {
    while (this.#pending.length > 0 || this.#flushing) {
      this.#soon = true;
      this.#schedule();
      await this.#flushing;
    }
  }

  #schedule(): void {
    if (this.#flushing || this.#pending.length === 0) return;
    if (this.#soon || this.#pending.length >= BATCH_MAX) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      this.#flushing = this.#flush();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      if (!this.#flushing) this.#flushing = this.#flush();
    }, LINGER_MS);
  }

  async #flush(): Promise<void> {
    try {
      await new Promise((resolve) => setImmediate(resolve)); // the writes of this turn go together
      this.#soon = false;
      const batch = this.#pending.splice(0, BATCH_MAX);
      try {
        const results = await inScope(this.#readStore, async (session) => {
          const out: unknown[] = [];
          for (const item of batch) out.push(await item.work(session));
          return out;
        });
        for (const [i, item] of batch.entries()) item.resolve(results[i]);
      } catch {
        for (const item of batch) {
          await inScope(this.#readStore, (session) => item.work(session)).then(item.resolve, item.reject);
        }
      }
    } finally {
      this.#flushing = null;
      if (this.#pending.length > 0) {
        // What came meanwhile: at once when someone waits or a batch is full, else it lingers as usual.
        this.#schedule();
      }
    }
  }
}

const batches = new WeakMap<ReadStore, WriteBatch>();

/**
 * Queues `work` for the read store's next batch of runtime writes; resolves with its result once committed.
 * `linger`: nobody waits for it, so it may wait a few milliseconds for company.
 */
export function batchedWrite<T>(
  readStore: ReadStore,
  work: (session: ReadStoreSession) => Promise<T>,
  options: { linger?: boolean } = {},
): Promise<T> {
  let batch = batches.get(readStore);
  if (!batch) {
    batch = new WriteBatch(readStore);
    batches.set(readStore, batch);
  }
  return batch.write(work, options.linger ?? false);
}

/** Resolves once the runtime writes queued so far on this read store are done. */
export function drainWrites(readStore: ReadStore): Promise<void> {
  return batches.get(readStore)?.drain() ?? Promise.resolve();
}
