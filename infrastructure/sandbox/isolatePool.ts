// The runtime process's warm isolates: one per worker version, LRU-capped by count and by the sum of
// their memory limits, invocations of one worker version run one after another (a "lane"), different
// versions run concurrently on isolated-vm's threads. One project holds at most `maxIsolatesPerProject` of
// them (issue 12, item 6): a project at its limit replaces its own least recently used idle isolate, or waits
// for one of its own to finish; it never evicts another project's isolates beyond the pool's own LRU.
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
  /** Per project: jobs waiting for one of the project's isolates to become idle. */
  readonly #projectWaiters = new Map<string, (() => void)[]>();

  constructor(config: RuntimeConfig, hooks: WorkerIsolateHooks) {
    this.#config = config;
    this.#hooks = hooks;
  }

  invoke(job: InvokeJob): Promise<WireResult> {
    const key = keyOf(job.worker.id, job.worker.version);
    // One lane per worker, whatever the version: its invocations run one after another in the order they came
    // (an in-order delivery handed in ahead of its turn waits here for the previous one, even across a deploy).
    const laneKey = job.worker.id;
    const lane = this.#lanes.get(laneKey) ?? { tail: Promise.resolve(), size: 0 };
    lane.size++;
    this.#lanes.set(laneKey, lane);
    const turn = lane.tail.then(() => this.#run(key, job));
    lane.tail = turn.catch(() => {});
    return turn.finally(() => {
      if (--lane.size === 0 && this.#lanes.get(laneKey) === lane) this.#lanes.delete(laneKey);
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
      if (entry.projectId !== undefined) this.#wake(entry.projectId);
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
        ...(entry.projectId === undefined ? {} : { projectId: entry.projectId }),
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
      // A project at its share of isolates waits for one of its own; other projects' jobs do not wait here.
      while (job.projectId !== undefined && !this.#projectRoom(job.projectId))
        await this.#projectTurn(job.projectId);
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
      if (entry.projectId !== undefined) this.#wake(entry.projectId);
    }
  }

  /**
   * Makes room now for one more isolate of `projectId` within its share, by evicting the project's own least
   * recently used idle isolate if it must; false when all the isolates it holds are busy. Synchronous, so that the
   * caller creates its isolate before another job of the project looks.
   */
  #projectRoom(projectId: string): boolean {
    let held = 0;
    let oldestIdle: [string, WorkerIsolate] | null = null;
    for (const [key, entry] of this.#entries) {
      if (entry.projectId !== projectId) continue;
      held++;
      if (!oldestIdle && !entry.busy) oldestIdle = [key, entry];
    }
    if (held < this.#config.maxIsolatesPerProject) return true;
    if (!oldestIdle) return false;
    this.#entries.delete(oldestIdle[0]);
    oldestIdle[1].dispose();
    return true;
  }

  /** Resolves when one of the project's isolates finishes an invocation or is dropped. */
  #projectTurn(projectId: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const queue = this.#projectWaiters.get(projectId) ?? [];
      queue.push(resolve);
      this.#projectWaiters.set(projectId, queue);
    });
  }

  #wake(projectId: string): void {
    const queue = this.#projectWaiters.get(projectId);
    if (!queue) return;
    this.#projectWaiters.delete(projectId);
    for (const resolve of queue) resolve();
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
