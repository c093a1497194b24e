// The runtime process's warm isolates: one per worker version, LRU-capped by count and by the sum of
// their memory limits, invocations of one worker version run one after another (a "lane"), different
// versions run concurrently on isolated-vm's threads.
import type { RuntimeConfig } from './limits.ts';
import type { WireResult } from './protocol.ts';
import type { IsolateInfo } from './types.ts';
import { type InvokeJob, WorkerIsolate, type WorkerIsolateHooks } from './workerIsolate.ts';

const keyOf = (workerId: string, version: number) => `${version}@${workerId}`;

export class IsolatePool {
  readonly #config: RuntimeConfig;
  readonly #hooks: WorkerIsolateHooks;
  /** Warm isolates in least-recently-used order (first = oldest). */
  readonly #entries = new Map<string, WorkerIsolate>();
  /** Per worker version: the tail of its queue and how many invocations wait or run on it. */
  readonly #lanes = new Map<string, { tail: Promise<unknown>; size: number }>();
  readonly #byInvocation = new Map<string, WorkerIsolate>();

  constructor(config: RuntimeConfig, hooks: WorkerIsolateHooks) {
    this.#config = config;
    this.#hooks = hooks;
  }

  invoke(job: InvokeJob): Promise<WireResult> {
    const key = keyOf(job.worker.id, job.worker.version);
    const lane = this.#lanes.get(key) ?? { tail: Promise.resolve(), size: 0 };
    lane.size++;
    this.#lanes.set(key, lane);
    const turn = lane.tail.then(() => this.#run(key, job));
    lane.tail = turn.catch(() => {});
    return turn.finally(() => {
      if (--lane.size === 0 && this.#lanes.get(key) === lane) this.#lanes.delete(key);
    });
  }

  deliver(invocationId: string, callId: number, replyJson: string): void {
    this.#byInvocation.get(invocationId)?.deliver(invocationId, callId, replyJson);
  }

  /** Drops a worker's isolates (all versions when `version` is null); one that is running goes when it ends. */
  dispose(workerId: string, version: number | null): number {
    let count = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.workerId !== workerId || (version !== null && entry.version !== version)) continue;
      this.#entries.delete(key);
      if (!entry.busy) entry.dispose();
      count++;
    }
    return count;
  }

  async list(): Promise<IsolateInfo[]> {
    const entries = [...this.#entries.values()];
    return Promise.all(
      entries.map(async (entry) => ({
        workerId: entry.workerId,
        version: entry.version,
        memoryMb: entry.memoryMb,
        invocations: entry.invocations,
        busy: entry.busy,
        heapUsedBytes: entry.busy ? 0 : await entry.heapUsedBytes(),
        lastUsedAt: entry.lastUsedAt.toISOString(),
      })),
    );
  }

  async #run(key: string, job: InvokeJob): Promise<WireResult> {
    let entry = this.#entries.get(key);
    if (entry && !entry.matches(job)) {
      this.#entries.delete(key);
      entry.dispose();
      entry = undefined;
    }
    if (entry) {
      this.#entries.delete(key); // re-insert: most recently used
    } else {
      this.#makeRoom(job.limits.memoryMb);
      entry = new WorkerIsolate(job, this.#config, this.#hooks);
    }
    this.#entries.set(key, entry);
    this.#byInvocation.set(job.invocationId, entry);
    try {
      return await entry.execute(job);
    } finally {
      this.#byInvocation.delete(job.invocationId);
      if (entry.disposed) {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      } else if (this.#entries.get(key) !== entry) {
        entry.dispose(); // dropped by dispose() while it ran
      }
    }
  }

  /** Evicts idle isolates, oldest first, until one more of `memoryMb` fits; busy ones are never evicted. */
  #makeRoom(memoryMb: number): void {
    let total = 0;
    for (const entry of this.#entries.values()) total += entry.memoryMb;
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size < this.#config.maxIsolates && total + memoryMb <= this.#config.maxPoolMemoryMb)
        return;
      if (entry.busy) continue;
      this.#entries.delete(key);
      entry.dispose();
      total -= entry.memoryMb;
    }
  }
}
