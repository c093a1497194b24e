/**
 * How the HTTP thread tells the projection thread of its appends (docs/adr/0033-increment-path-fourth-pass.md).
 * SQLite's live subscription polls for other connections' commits (every 200 ms); the projection thread, on its
 * own connection, would see the HTTP thread's appends that late. A message per group of appends (ADR 30) wakes
 * the projection thread's loop each time, however busy it already is. So the two threads share a word of memory:
 * `IDLE` while the projection thread waits to be told, `AWAKE` while it looks by itself. The HTTP thread posts a
 * message only when it turns the word from `IDLE` to `AWAKE`. The projection thread, once told, looks again each
 * time it has handled what it found (`settled`, once per turn after its consumers' pages) and goes on while it
 * finds new commits; when a look finds none it sets the word back to `IDLE` and looks once more: an append that
 * saw `AWAKE` before that committed before that last look, so no append is left waiting for the 200 ms poll.
 * No timer of its own: it looks only when it was busy anyway (a look that leads to no page at all is followed
 * by one after `SETTLE_MS`).
 */

const IDLE = 1;
const AWAKE = 0;
/** A told thread whose look led to no page handled looks again after this long. */
export const SETTLE_MS = 5;

/** The shared word, made by the HTTP thread and handed to the projection thread; starts `IDLE`. */
export function newWakeBuffer(): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  resetWake(buffer);
  return buffer;
}

/** A new projection thread starts waiting to be told (the one before may have died `AWAKE`). */
export function resetWake(buffer: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(buffer), 0, IDLE);
}

/** The HTTP thread, after an append committed: whether to tell the projection thread (it was idle). */
export function mustTell(words: Int32Array): boolean {
  return Atomics.load(words, 0) === IDLE && Atomics.compareExchange(words, 0, IDLE, AWAKE) === IDLE;
}

/**
 * The projection thread's side: `told()` when the HTTP thread's message comes, `settled()` once its consumers
 * have handled a page. `look` looks for commits now (the event store's `wake`) and says whether it found any.
 */
export class BusyPoll {
  readonly #words: Int32Array;
  readonly #look: () => boolean;
  readonly #settleMs: number;
  /** Told, and not idle again yet. */
  #awake = false;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(buffer: SharedArrayBuffer, look: () => boolean, settleMs = SETTLE_MS) {
    this.#words = new Int32Array(buffer);
    this.#look = look;
    this.#settleMs = settleMs;
  }

  told(): void {
    if (this.#closed) return;
    this.#awake = true;
    this.#next(this.#look());
  }

  /** The thread handled what it found: it looks for more, or goes idle. */
  settled(): void {
    if (this.#closed || !this.#awake) return;
    this.#next(this.#look());
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #next(found: boolean): void {
    if (found) {
      // Pages follow, and `settled` after them; should none follow (nothing new for any consumer), look then.
      if (this.#timer) this.#timer.refresh();
      else {
        this.#timer = setTimeout(() => {
          this.#timer = null;
          this.settled();
        }, this.#settleMs);
        this.#timer.unref();
      }
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#awake = false;
    Atomics.store(this.#words, 0, IDLE);
    // An append that committed after the look above and saw `AWAKE` was not told: this look finds it. Should the
    // HTTP thread have turned the word meanwhile, its message is on the way.
    if (this.#look() && Atomics.compareExchange(this.#words, 0, IDLE, AWAKE) === IDLE) {
      this.#awake = true;
      this.#next(true);
    }
  }
}
