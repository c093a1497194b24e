import type { Logger } from 'pino';

/** How often, at most, a full disk is logged again while writes keep being refused. */
const LOG_EVERY_MS = 10_000;

/**
 * Whether `error` (or an error it wraps) says the storage is full: SQLite's SQLITE_FULL, a file write's ENOSPC or
 * EDQUOT, PostgreSQL's disk_full (53100). Such a write is refused whole (the stores write in transactions), so the
 * client can be told to retry later rather than given a 500.
 */
export function isStorageFull(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, errcode, message } = e as { code?: unknown; errcode?: unknown; message?: unknown };
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === '53100') return true;
    if (errcode === 13) return true; // SQLITE_FULL
    if (typeof message === 'string' && /database or disk is full|no space left on device/i.test(message))
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export type StorageStatus = { state: 'ok' } | { state: 'full'; since: string; refusedWrites: number };

/**
 * Remembers that the storage is full, from the first refused write until a write succeeds again: `/health`
 * reports it (degraded), and the log gets one line for it and then at most one every 10 s with the count of
 * writes refused meanwhile (a full disk under load refused thousands of writes in seconds, each logged).
 */
export class StorageAlarm {
  #full: { since: number; refused: number } | null = null;
  #lastLogAt = 0;
  #unlogged = 0;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  refused(error: unknown, logger: Pick<Logger, 'error'>): void {
    const now = this.#now();
    if (!this.#full) this.#full = { since: now, refused: 0 };
    this.#full.refused += 1;
    this.#unlogged += 1;
    if (now - this.#lastLogAt < LOG_EVERY_MS) return;
    logger.error(
      { err: error, refusedWrites: this.#unlogged, since: new Date(this.#full.since).toISOString() },
      'storage is full: writes are refused with 507 until space is freed',
    );
    this.#lastLogAt = now;
    this.#unlogged = 0;
  }

  /** A write succeeded: there is room again. */
  recovered(logger: Pick<Logger, 'info'>): void {
    if (!this.#full) return;
    logger.info({ refusedWrites: this.#full.refused }, 'storage has room again: writes succeed');
    this.#full = null;
    this.#lastLogAt = 0;
    this.#unlogged = 0;
  }

  /** What `/health` shows (anyone may read it: no paths, no messages; those are in the log). */
  status(): StorageStatus {
    if (!this.#full) return { state: 'ok' };
    return {
      state: 'full',
      since: new Date(this.#full.since).toISOString(),
      refusedWrites: this.#full.refused,
    };
  }
}
