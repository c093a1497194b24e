import { createHash } from 'node:crypto';
import type { Clock } from '../../application/ports/clock.ts';
import type { ReadStore } from '../../application/ports/readStore.ts';

/**
 * The sign-in limiter's key: the client's address and the email tried (case and spaces ignored), hashed so that
 * the emails people mistype never sit in the read store. `password-change:<userId>` stands for the email when a
 * signed-in user's current password is checked.
 */
export function signInKey(ip: string, email: string): string {
  return createHash('sha256').update(`${ip}\u0000${email.trim().toLowerCase()}`).digest('base64url');
}

/** Failure times per key, shared by every m3m process on the read store. Operational data, not a read model. */
export const RATE_LIMITS = 'm3m_rate_limits';

export interface StoreRateLimiterOptions {
  readStore: ReadStore;
  clock: Clock;
  /** What is limited, part of every key: `api_key`, `login`… */
  scope: string;
  /** Failures allowed inside the window; the next attempt is refused. */
  maxFailures: number;
  windowMs: number;
}

interface FailureDoc {
  id: string;
  /** Epoch milliseconds, oldest first, at most `maxFailures`. */
  failures: number[];
  /** When the newest failure leaves the window: the document can go. */
  expiresAt: number;
  [field: string]: unknown;
}

/**
 * Counts failures per key (a client address) over a sliding window in the read store, so the limit holds across
 * several m3m processes on one store (SQLite file, MongoDB, PostgreSQL) where an in-memory counter would let each
 * process count for itself. After `maxFailures` failures inside `windowMs` the key is refused until the oldest of
 * them leaves the window. Expired documents are swept as failures are recorded.
 */
export class StoreRateLimiter {
  readonly #options: StoreRateLimiterOptions;
  #recorded = 0;
  /**
   * The documents read in this turn of the event loop, by id: every goal increment asks for its client address,
   * and requests answered in one turn are concurrent with whatever another process records meanwhile, so they
   * may share one read (as the read-model memos share their checkpoint read). This process's own writes drop
   * the entry at once; the map is emptied at the next turn.
   */
  readonly #readThisTurn = new Map<string, Promise<FailureDoc | null>>();
  #clearing = false;

  constructor(options: StoreRateLimiterOptions) {
    if (!(options.maxFailures >= 1 && options.windowMs >= 1))
      throw new TypeError('maxFailures and windowMs ≥ 1');
    this.#options = options;
  }

  #id(key: string): string {
    return `${this.#options.scope}:${key}`.slice(0, 200);
  }

  /** Seconds the caller must wait before trying again, or 0 when an attempt is allowed. */
  async retryAfterSeconds(key: string): Promise<number> {
    const { clock, maxFailures, windowMs } = this.#options;
    const doc = await this.#read(this.#id(key));
    const now = clock.now().getTime();
    const recent = (doc?.failures ?? []).filter((t) => t > now - windowMs);
    if (recent.length < maxFailures) return 0;
    const oldest = recent[recent.length - maxFailures]!;
    return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
  }

  #read(id: string): Promise<FailureDoc | null> {
    let read = this.#readThisTurn.get(id);
    if (!read) {
      read = this.#options.readStore.collection<FailureDoc>(RATE_LIMITS).get(id);
      this.#readThisTurn.set(id, read);
      if (!this.#clearing) {
        this.#clearing = true;
        setImmediate(() => {
          this.#clearing = false;
          this.#readThisTurn.clear();
        });
      }
    }
    return read;
  }

  async recordFailure(key: string): Promise<void> {
    const { readStore, clock, maxFailures, windowMs } = this.#options;
    const id = this.#id(key);
    this.#readThisTurn.delete(id);
    const now = clock.now().getTime();
    await readStore.transaction(async (session) => {
      const collection = session.collection<FailureDoc>(RATE_LIMITS);
      const doc = await collection.get(id);
      const failures = [...(doc?.failures ?? []).filter((t) => t > now - windowMs), now].slice(-maxFailures);
      await collection.upsert({ id, failures, expiresAt: now + windowMs });
    });
    this.#readThisTurn.delete(id);
    if (++this.#recorded % 100 === 0) {
      await readStore.collection(RATE_LIMITS).deleteMany({ expiresAt: { $lt: now } });
    }
  }

  async recordSuccess(key: string): Promise<void> {
    const id = this.#id(key);
    this.#readThisTurn.delete(id);
    await this.#options.readStore.collection(RATE_LIMITS).delete(id);
    this.#readThisTurn.delete(id);
  }
}
