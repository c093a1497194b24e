import type { ReadStore, ReadStoreSession } from '../ports/readStore.ts';

/**
 * The runtime's small writes that go together (docs/adr/0032): invocation records with their daily statistics,
 * and event deliveries' outcomes. Writes queued meanwhile share one read-store transaction (at most `BATCH_MAX`);
 * should it fail, each is done again in a transaction of its own, so one bad write sinks no other.
 *
 * A write someone waits for (an HTTP trigger's record, answered once stored) goes in the next turn of the event
 * loop. A write nobody waits for (`linger`: an event delivery's record and outcome, whose lane has moved on
 * already) waits up to `LINGER_MS` for others to join it: a lane running one delivery after another then writes
 * a handful per transaction instead of two transactions per delivery.
 */

/** How long a write nobody waits for may wait for company. */
export const LINGER_MS = 10;
const BATCH_MAX = 500;

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
        const results = await this.#readStore.transaction(async (session) => {
          const out: unknown[] = [];
          for (const item of batch) out.push(await item.work(session));
          return out;
        });
        for (const [i, item] of batch.entries()) item.resolve(results[i]);
      } catch {
        for (const item of batch) {
          await this.#readStore.transaction((session) => item.work(session)).then(item.resolve, item.reject);
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
