/**
 * How the HTTP thread tells the projection thread of its appends (docs/adr/0033-increment-path-fourth-pass.md).
 * SQLite's live subscription polls for other connections' commits (every 200 ms); the projection thread, on its
 * own connection, would see the HTTP thread's appends that late. A message per append (ADR 30) cost the HTTP
 * thread a tenth of its CPU under `bench:goals` (`postMessage` wakes the other thread's loop each time). So the
 * two threads share a word of memory: `IDLE` while the projection thread waits to be told, `AWAKE` while it looks
 * by itself. The HTTP thread posts a message only when it turns the word from `IDLE` to `AWAKE`; the projection
 * thread, once told, looks every `BUSY_POLL_MS` for as long as each look finds new commits, then sets the word back
 * to `IDLE` and looks once more: an append that saw `AWAKE` before that committed before that last look, so no
 * append is left waiting for the 200 ms poll.
 */

const IDLE = 1;
const AWAKE = 0;
/** How often a told projection thread looks for commits while it finds some. */
export const BUSY_POLL_MS = 2;

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
 * The projection thread's side: `told()` when the HTTP thread's message comes. `look` looks for commits now (the
 * event store's `wake`) and says whether it found any.
 */
export class BusyPoll {
  readonly #words: Int32Array;
  readonly #look: () => boolean;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(buffer: SharedArrayBuffer, look: () => boolean, intervalMs = BUSY_POLL_MS) {
    this.#words = new Int32Array(buffer);
    this.#look = look;
    this.#intervalMs = intervalMs;
  }

  told(): void {
    if (this.#closed) return;
    this.#look();
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => this.#tick(), this.#intervalMs);
    this.#timer.unref();
  }

  #tick(): void {
    this.#timer = null;
    if (this.#closed) return;
    if (this.#look()) {
      this.#schedule();
      return;
    }
    Atomics.store(this.#words, 0, IDLE);
    // An append that committed after the look above and saw `AWAKE` was not told: this look finds it. Should the
    // HTTP thread have turned the word meanwhile, its message is on the way and polls again when it comes.
    if (this.#look() && Atomics.compareExchange(this.#words, 0, IDLE, AWAKE) === IDLE) this.#schedule();
  }
}
