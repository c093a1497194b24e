/**
 * The SQLite read store's write lock between the HTTP thread and the projection thread of one process
 * (docs/adr/0030-projections-off-the-http-thread.md). Both threads write `read.sqlite` through connections of
 * their own; SQLite serializes them with its file lock, and a connection that finds it taken waits in its busy
 * handler, synchronously: a request thread waiting there for a projection's transaction would stop serving for as
 * long as that transaction lasts. So each thread takes this lock (a word of shared memory) before it starts
 * writing, and waits for it with `Atomics.waitAsync`, which leaves its event loop running. SQLite's own lock and
 * busy timeout still order writers of other processes (several `m3m serve` on one file), as before.
 *
 * The HTTP thread goes first: while it waits, the projection thread does not take the lock again (its writes are
 * page transactions, the HTTP thread's are single documents: a delivery, a checkpoint, a failed sign-in).
 */

const HOLDER = 0;
const MAIN_WAITING = 1;
const FREE = 0;
/** A lost wake-up costs at most this long (a notify between our check and our wait is not lost, but be safe). */
const RECHECK_MS = 50;

export type LockSide = 'main' | 'projections';

export interface WriteLock {
  acquire(): Promise<void>;
  release(): void;
}

/** The shared memory of one lock, made by the HTTP thread and handed to the projection thread. */
export function newWriteLockBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
}

export function threadWriteLock(buffer: SharedArrayBuffer, side: LockSide): WriteLock {
  const words = new Int32Array(buffer);
  const me = side === 'main' ? 1 : 2;
  const wait = async (index: number, value: number) => {
    const result = Atomics.waitAsync(words, index, value, RECHECK_MS);
    if (result.async) await result.value;
  };
  return {
    async acquire() {
      if (side === 'main') Atomics.add(words, MAIN_WAITING, 1);
      try {
        for (;;) {
          if (side === 'projections') {
            const waiting = Atomics.load(words, MAIN_WAITING);
            if (waiting > 0) {
              await wait(MAIN_WAITING, waiting);
              continue;
            }
          }
          const holder = Atomics.compareExchange(words, HOLDER, FREE, me);
          if (holder === FREE) return;
          if (holder === me) throw new Error('threadWriteLock: taken twice by one thread');
          await wait(HOLDER, holder);
        }
      } finally {
        if (side === 'main') {
          Atomics.sub(words, MAIN_WAITING, 1);
          Atomics.notify(words, MAIN_WAITING);
        }
      }
    },
    release() {
      Atomics.compareExchange(words, HOLDER, me, FREE);
      Atomics.notify(words, HOLDER);
    },
  };
}

/** Frees the lock a thread held when it ended (a crashed projection thread must not hold the HTTP thread's writes). */
export function releaseHeldBy(buffer: SharedArrayBuffer, side: LockSide): void {
  const words = new Int32Array(buffer);
  Atomics.compareExchange(words, HOLDER, side === 'main' ? 1 : 2, FREE);
  Atomics.notify(words, HOLDER);
}
