// The runtime process's warm isolates, LRU-capped by count and by the sum of their memory limits; different
// workers run concurrently on isolated-vm's threads. Each worker has a lane: at its `concurrency` 1 (the default)
// its invocations run one after another in the order they came, on one warm isolate per version; at N > 1 up to N
// run at once, each in an isolate of its own (up to N warm isolates per version, each with the job's own memory,
// CPU and time limits; globals are not shared between them). A parallel isolate (a second one of a version) is
// made only while the pool has room for it after evicting idle ones: else the invocation waits for one of the
// version's isolates. One project holds at most `maxIsolatesPerProject` of them (issue 12, item 6): a project at
// its limit replaces its own least recently used idle isolate, or waits for one of its own to finish; it never
// evicts another project's isolates beyond the pool's own LRU. See docs/adr/0032-bursts-to-one-worker-second-pass.md.
import type { RuntimeConfig } from './limits.ts';
import type { WireResult } from './protocol.ts';
import type { IsolateInfo } from './types.ts';
import { type InvokeJob, WorkerIsolate, type WorkerIsolateHooks } from './workerIsolate.ts';

const versionKey = (workerId: string, version: number) => `${version}@${workerId}`;

/** A worker's invocations: how many run, and those waiting for their turn in the order they came. */
interface Lane {
  running: number;
  queue: { width: number; start(): void }[];
}

export class IsolatePool {
  readonly #config: RuntimeConfig;
  readonly #hooks: WorkerIsolateHooks;
  /** Warm isolates in least-recently-used order (first = oldest), each under a key of its own. */
  readonly #entries = new Map<string, WorkerIsolate>();
  #nextKey = 0;
  /** Per worker, whatever the version. */
  readonly #lanes = new Map<string, Lane>();
  readonly #byInvocation = new Map<string, WorkerIsolate>();
  /** Jobs waiting for an isolate to finish: per project (`p:` id) and per worker version (`v:` key). */
  readonly #waiters = new Map<string, (() => void)[]>();

  constructor(config: RuntimeConfig, hooks: WorkerIsolateHooks) {
    this.#config = config;
    this.#hooks = hooks;
  }

  invoke(job: InvokeJob): Promise<WireResult> {
    // One lane per worker, whatever the version: at concurrency 1 its invocations run one after another in the
    // order they came (an in-order delivery handed in ahead of its turn waits here for the previous one, even
    // across a deploy); at N, up to N at once, started in the order they came.
    const width = Math.max(1, Math.floor(job.concurrency ?? 1));
    const laneKey = job.worker.id;
    const lane = this.#lanes.get(laneKey) ?? { running: 0, queue: [] };
    this.#lanes.set(laneKey, lane);
    const turn = new Promise<void>((start) => {
      lane.queue.push({ width, start });
      pump(lane);
    });
    return turn
      .then(() => this.#run(job, width))
      .finally(() => {
        lane.running--;
        pump(lane);
        if (lane.running === 0 && lane.queue.length === 0 && this.#lanes.get(laneKey) === lane)
          this.#lanes.delete(laneKey);
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
      this.#wakeFor(entry);
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

  async #run(job: InvokeJob, width: number): Promise<WireResult> {
    const version = versionKey(job.worker.id, job.worker.version);
    let key: string;
    let entry: WorkerIsolate;
    for (;;) {
      const idle = this.#idle(job);
      if (idle) {
        [key, entry] = idle;
        this.#entries.delete(key); // re-inserted below: most recently used
        break;
      }
      // A parallel isolate only while the pool has room for it: else wait for one of the version's isolates.
      if (this.#held((e) => e.workerId === job.worker.id && e.version === job.worker.version) > 0) {
        if (!this.#fits(job.limits.memoryMb)) {
          await this.#turn(`v:${version}`);
          continue;
        }
      }
      // A project at its share of isolates waits for one of its own; other projects' jobs do not wait here.
      if (job.projectId !== undefined && !this.#projectRoom(job.projectId)) {
        await this.#turn(`p:${job.projectId}`);
        continue;
      }
      this.#makeRoom(job.limits.memoryMb);
      key = `${version}#${this.#nextKey++}`;
      entry = new WorkerIsolate(job, this.#config, this.#hooks);
      break;
    }
    // `execute` marks the isolate busy before it first awaits: no other job can take it from here on.
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
      } else {
        this.#trim(key, entry, width);
      }
      this.#wakeFor(entry);
    }
  }

  /**
   * The most recently used idle isolate that can serve `job`; idle isolates of its version that cannot (another
   * memory limit or host API shape) are dropped on the way.
   */
  #idle(job: InvokeJob): [string, WorkerIsolate] | null {
    let found: [string, WorkerIsolate] | null = null;
    for (const [key, entry] of this.#entries) {
      if (entry.workerId !== job.worker.id || entry.version !== job.worker.version || entry.busy) continue;
      if (!entry.matches(job)) {
        this.#entries.delete(key);
        entry.dispose();
        continue;
      }
      found = [key, entry];
    }
    return found;
  }

  /**
   * Keeps at most `width` warm isolates of the entry's version (more were made while its concurrency was higher):
   * the oldest idle ones go first, the entry that has just run last.
   */
  #trim(key: string, entry: WorkerIsolate, width: number): void {
    const same = (e: WorkerIsolate) => e.workerId === entry.workerId && e.version === entry.version;
    let held = this.#held(same);
    for (const [otherKey, other] of this.#entries) {
      if (held <= width) return;
      if (other === entry || !same(other) || other.busy) continue;
      this.#entries.delete(otherKey);
      other.dispose();
      held--;
    }
    if (held > width) {
      this.#entries.delete(key);
      entry.dispose();
    }
  }

  #held(which: (entry: WorkerIsolate) => boolean): number {
    let n = 0;
    for (const entry of this.#entries.values()) if (which(entry)) n++;
    return n;
  }

  /** Whether one more isolate of `memoryMb` fits the pool's caps once every idle isolate is evicted. */
  #fits(memoryMb: number): boolean {
    let count = 1;
    let total = memoryMb;
    for (const entry of this.#entries.values()) {
      if (!entry.busy) continue;
      count++;
      total += entry.memoryMb;
    }
    return count <= this.#config.maxIsolates && total <= this.#config.maxPoolMemoryMb;
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

  /** Resolves when an isolate of the project (`p:`) or of the worker version (`v:`) finishes or is dropped. */
  #turn(key: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const queue = this.#waiters.get(key) ?? [];
      queue.push(resolve);
      this.#waiters.set(key, queue);
    });
  }

  #wakeFor(entry: WorkerIsolate): void {
    this.#wake(`v:${versionKey(entry.workerId, entry.version)}`);
    if (entry.projectId !== undefined) this.#wake(`p:${entry.projectId}`);
  }

  #wake(key: string): void {
    const queue = this.#waiters.get(key);
    if (!queue) return;
    this.#waiters.delete(key);
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

/** Starts the lane's next invocations while its running ones leave room for them (the first's concurrency). */
function pump(lane: Lane): void {
  for (let next = lane.queue[0]; next && lane.running < next.width; next = lane.queue[0]) {
    lane.queue.shift();
    lane.running++;
    next.start();
  }
}
