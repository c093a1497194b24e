import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { mustTell, newWakeBuffer } from '../../infrastructure/projectionThread/threadWake.ts';

/**
 * The HTTP thread tells the projection thread of its appends only while that thread is idle (ADR 33,
 * `threadWake.ts`). Here a real second thread runs `BusyPoll` over a shared counter of "commits" and has no other
 * way to see them (no 200 ms fallback poll): a told-too-late append (the race between its going idle and an append
 * that saw it awake) would never be seen, and the test would time out on it.
 */

const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
(async () => {
  const { BusyPoll } = await import(pathToFileURL(workerData.module).href);
  const counters = new Int32Array(workerData.counters);
  let seen = 0;
  let looks = 0;
  let poll;
  poll = new BusyPoll(workerData.wake, () => {
    looks++;
    const committed = Atomics.load(counters, 0);
    if (committed === seen) {
      // A look takes time (a query): an append landing meanwhile is the race the last look is for.
      const until = performance.now() + 1;
      while (performance.now() < until);
      return false;
    }
    seen = committed;
    // Handled in a later turn (the consumers' pages), after which the thread settles, as the projection thread does.
    setImmediate(() => {
      Atomics.store(counters, 1, committed);
      poll.settled();
    });
    return true;
  });
  parentPort.on('message', (message) => {
    if (message === 'told') poll.told();
    else if (message === 'looks') parentPort.postMessage(looks);
    else if (message === 'close') { poll.close(); parentPort.close(); }
  });
  parentPort.postMessage('ready');
})();
`;

let worker: Worker | null = null;

afterEach(async () => {
  await worker?.terminate();
  worker = null;
});

async function start() {
  const wake = newWakeBuffer();
  const counters = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const thread = new Worker(THREAD, {
    eval: true,
    workerData: {
      wake,
      counters,
      module: new URL('../../infrastructure/projectionThread/threadWake.ts', import.meta.url).pathname,
    },
  });
  worker = thread;
  await new Promise<void>((resolve, reject) => {
    thread.once('message', () => resolve());
    thread.once('error', reject);
  });
  const words = new Int32Array(wake);
  const count = new Int32Array(counters);
  let told = 0;
  return {
    /** One append committed by "the HTTP thread": counted, then the thread told if it was idle. */
    append() {
      Atomics.add(count, 0, 1);
      if (mustTell(words)) {
        told++;
        thread.postMessage('told');
      }
    },
    get told() {
      return told;
    },
    committed: () => Atomics.load(count, 0),
    seen: () => Atomics.load(count, 1),
    async allSeen(timeoutMs = 2_000) {
      const deadline = Date.now() + timeoutMs;
      while (Atomics.load(count, 1) !== Atomics.load(count, 0)) {
        if (Date.now() > deadline) return false;
        await sleep(1);
      }
      return true;
    },
  };
}

describe('projection thread wake-ups (threadWake)', () => {
  it('sees every append without a message per append, bursts and idle gaps alike', async () => {
    const t = await start();
    let appends = 0;
    for (let round = 0; round < 40; round++) {
      // A burst over many turns of the event loop, then a gap long enough for the thread to go idle.
      const burst = 5 + (round % 7) * 10;
      for (let i = 0; i < burst; i++) {
        t.append();
        appends++;
        if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
        else if (i % 5 === 0) await sleep(1);
      }
      expect(await t.allSeen()).toBe(true);
      if (round % 2 === 0) await sleep(10);
    }
    expect(t.committed()).toBe(appends);
    expect(t.seen()).toBe(appends);
    // Told at least once per idle gap, and far less often than once per append.
    expect(t.told).toBeGreaterThanOrEqual(20);
    expect(t.told).toBeLessThan(appends / 3);
  });

  it('an append right as the thread goes idle is still seen (no lost wake-up), many times over', async () => {
    const t = await start();
    // One append tells the idle thread; a second comes about when the thread's next look finds nothing and it
    // goes idle (a look takes a millisecond here). Were the thread not to look once more after going idle, the
    // second would never be seen.
    for (let i = 0; i < 150; i++) {
      t.append();
      const waitMs = (i % 30) / 10;
      const until = performance.now() + waitMs;
      while (performance.now() < until) await new Promise((resolve) => setImmediate(resolve));
      t.append();
      expect(await t.allSeen(500)).toBe(true);
      await sleep(8);
    }
    expect(t.seen()).toBe(300);
  });

  it('an idle thread is told by the first append, and looks no more once nothing comes', async () => {
    const t = await start();
    t.append();
    expect(t.told).toBe(1);
    expect(await t.allSeen()).toBe(true);
    await sleep(50);
    const looks = async () =>
      new Promise<number>((resolve) => {
        worker!.once('message', resolve);
        worker!.postMessage('looks');
      });
    const settled = await looks();
    await sleep(50);
    // Idle: no polling while nothing is appended.
    expect(await looks()).toBe(settled);
    t.append();
    expect(t.told).toBe(2);
    expect(await t.allSeen()).toBe(true);
  });
});
