import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import pino from 'pino';
import { Subject, TimeoutError } from 'rxjs';
import type { ConsumerStatus, Feed, FeedConsumer } from '../../application/eventFeed.ts';
import type { EventStore, Position } from '../../application/ports/eventStore.ts';
import type {
  ProjectionStatus,
  RebuildProgress,
  RebuildSummary,
  Runner,
} from '../../projections/projectionRunner.ts';
import type { Config } from '../config.ts';
import {
  type ErrorData,
  errorData,
  type FromThread,
  type RelaySpec,
  type Snapshot,
  type Target,
  type ThreadData,
  type ToThread,
} from './protocol.ts';
import { mustTell, newWakeBuffer, resetWake } from './threadWake.ts';
import { releaseHeldBy } from './threadWriteLock.ts';

/**
 * The HTTP thread's side of the projection thread (ADR 30): it starts `worker.ts`, and stands in for the runner,
 * the webhook outbox's runner and the feed that live there. `status()`, `waitFor` and the feed's health are
 * answered from the states the thread reports: after the pages it handled at most every `REPORT_MS` (every page
 * while someone here waits in `waitFor`, at once on a change of state or error) and every 500 ms; everything else
 * is asked of the thread. Consumers joining the feed here (the runtime subscriber) are relayed: the thread's
 * feed hands them pages of the types they declared, by message, and waits for each as for any consumer; with a
 * `relayFilter`, without the events it leaves out there, and a page left with none not at all (ADR 33).
 *
 * A thread that dies is reported (log, `/health`), and started again after a backoff: its consumers resume from
 * their checkpoints, stored with their writes, so nothing is lost or applied twice.
 */
export interface ProjectionThreadOptions {
  config: Config;
  logger: Logger;
  /** The read store's write lock shared with the thread (`newWriteLockBuffer`). */
  lock: SharedArrayBuffer;
  backoff?: { initialMs: number; maxMs: number };
}

const RESTART_INITIAL_MS = 250;
const RESTART_MAX_MS = 30_000;

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onProgress?: (progress: RebuildProgress) => void;
}

const emptySnapshot: Snapshot = {
  runner: [],
  outbox: [],
  feed: { halted: null, lastError: null, consumers: [] },
};

export class ProjectionThread {
  readonly lock: SharedArrayBuffer;
  readonly runner: RemoteRunner;
  readonly outbox: RemoteRunner;
  readonly feed: RemoteFeed;
  readonly #options: ProjectionThreadOptions;
  readonly #logger: Logger;
  readonly #stream: { write(line: string): void } | null;
  #worker: Worker | null = null;
  #snapshot: Snapshot = emptySnapshot;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closing = false;
  #restarts = 0;
  #failures = 0;
  /** Why the thread is down (until it runs again). */
  #failure: string | null = null;
  /** Whether the thread waits to be told of appends (`threadWake.ts`). */
  readonly #wakeBuffer = newWakeBuffer();
  readonly #wakeWord = new Int32Array(this.#wakeBuffer);
  /** How many wait here for a position (`RemoteRunner.waitFor`): while any do, the thread reports every page. */
  readonly #waitingBuffer = new SharedArrayBuffer(4);
  readonly #waiting = new Int32Array(this.#waitingBuffer);
  readonly #snapshots = new Subject<void>();
  #nudge: () => void = () => {};
  /** What was started, so that a thread started again picks up where the last one was. */
  readonly started = { runner: false, outbox: false, feed: false };

  private constructor(options: ProjectionThreadOptions) {
    this.#options = options;
    this.lock = options.lock;
    this.#logger = options.logger.child({ component: 'projection-thread' });
    // The thread's lines are written as this thread's: through the same destination (a test's sink, stdout).
    const stream = (options.logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
    this.#stream =
      stream && typeof (stream as { write?: unknown }).write === 'function'
        ? (stream as { write(line: string): void })
        : null;
    this.runner = new RemoteRunner(this, 'runner');
    this.outbox = new RemoteRunner(this, 'outbox');
    this.feed = new RemoteFeed(this);
  }

  static async open(options: ProjectionThreadOptions): Promise<ProjectionThread> {
    const thread = new ProjectionThread(options);
    await thread.#spawn();
    return thread;
  }

  /** Why the thread is not running now, or `null`. */
  get failure(): string | null {
    return this.#failure;
  }

  /** How many times it was started again, and runs (each consumer started from its checkpoint). */
  get restarts(): number {
    return this.#restarts;
  }

  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  get snapshots(): Subject<void> {
    return this.#snapshots;
  }

  /** The webhook outbox queued messages (the sender looks now). */
  onNudge(nudge: () => void): void {
    this.#nudge = nudge;
  }

  /**
   * This process appended: the thread's live subscription looks now, not at its next poll. Told only when the
   * thread is idle; while it is not, it looks by itself every couple of milliseconds (`threadWake.ts`).
   */
  appended(): void {
    if (mustTell(this.#wakeWord)) this.#post({ t: 'appended' });
  }

  /** The event store the HTTP thread appends through: every append tells the thread (SQLite only needs it). */
  appendsTold(store: EventStore): EventStore {
    const told = <T>(result: Promise<T>) =>
      result.then((value) => {
        this.appended();
        return value;
      });
    const { appendAtomically } = store;
    return {
      ...store,
      append: (streamId, events, options) => told(store.append(streamId, events, options)),
      ...(appendAtomically && { appendAtomically: (writes) => told(appendAtomically.call(store, writes)) }),
    };
  }

  /** One began or ended waiting for the thread's next reports (`RemoteRunner.waitFor`). */
  waiting(delta: 1 | -1): void {
    // The first: a report the thread held back (`REPORT_MS`) goes now; after it, it reports every page.
    if (Atomics.add(this.#waiting, 0, delta) === 0 && delta === 1) this.#post({ t: 'waiting' });
  }

  /** Tests: the thread fails as an unexpected error would make it. */
  crash(): void {
    this.#post({ t: 'crash' });
  }

  /** Tests: the thread is ended from outside, wherever it is (as `worker.terminate()` or a fatal error would). */
  async terminate(): Promise<void> {
    await this.#worker?.terminate();
  }

  call<T>(
    target: Target | 'thread',
    method: string,
    args: unknown[] = [],
    onProgress?: Pending['onProgress'],
  ) {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      if (!this.#worker) {
        reject(new Error(`the projection thread is not running${this.#failure ? `: ${this.#failure}` : ''}`));
        return;
      }
      this.#pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        ...(onProgress ? { onProgress } : {}),
      });
      this.#post({ t: 'call', id, target: target as Target, method, args });
    });
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const worker = this.#worker;
    if (!worker) return;
    try {
      await this.call('thread', 'close');
    } catch (error) {
      this.#logger.error({ err: error }, 'the projection thread did not close cleanly');
    }
    await worker.terminate();
    releaseHeldBy(this.lock, 'projections');
  }

  #post(message: ToThread): void {
    this.#worker?.postMessage(message);
  }

  async #spawn(): Promise<void> {
    const { config, logger, backoff } = this.#options;
    const data: ThreadData = {
      config,
      logLevel: logger.level,
      lock: this.lock,
      wake: this.#wakeBuffer,
      waiting: this.#waitingBuffer,
      ...(backoff ? { backoff } : {}),
    };
    resetWake(this.#wakeBuffer);
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { workerData: data });
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: FromThread) => {
        if (message.t === 'ready') {
          ready = true;
          this.#worker = worker;
          this.#failure = null;
          this.runner.names = message.runner;
          this.outbox.names = message.outbox;
          resolve();
          return;
        }
        if (message.t === 'failed') {
          const error = fromData(message.error);
          if (!ready) reject(error);
          void worker.terminate();
          return;
        }
        this.#receive(message);
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
        else this.#logger.error({ err: error }, 'the projection thread failed');
        this.#failure = error.message;
      });
      worker.on('exit', (code) => {
        releaseHeldBy(this.lock, 'projections');
        if (this.#worker === worker) this.#worker = null;
        if (!ready) {
          reject(new Error(`the projection thread exited (${code}) before it was ready`));
          return;
        }
        this.#lost(code);
      });
    });
  }

  /** The thread ended while it should run: its callers fail, its states say so, and it starts again. */
  #lost(code: number): void {
    const reason = this.#failure ?? `the projection thread exited (${code})`;
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(new Error(reason));
    }
    if (this.#closing) return;
    this.#failure = reason;
    const at = new Date().toISOString();
    const failed = (s: ProjectionStatus): ProjectionStatus => ({
      ...s,
      state: 'retrying',
      lastError: reason,
      lastErrorAt: at,
    });
    this.#snapshot = {
      runner: this.#snapshot.runner.map(failed),
      outbox: this.#snapshot.outbox.map(failed),
      feed: {
        ...this.#snapshot.feed,
        lastError: reason,
        consumers: this.#snapshot.feed.consumers.map((c) => ({
          ...c,
          state: 'retrying',
          lastError: reason,
          lastErrorAt: at,
        })),
      },
    };
    this.#snapshots.next();
    this.#failures++;
    const delay = Math.min(RESTART_MAX_MS, RESTART_INITIAL_MS * 2 ** (this.#failures - 1));
    this.#logger.error({ reason, code, inMs: delay }, 'the projection thread stopped: starting it again');
    setTimeout(() => void this.#restart(), delay).unref();
  }

  async #restart(): Promise<void> {
    if (this.#closing) return;
    this.#logger.info({ failures: this.#failures }, 'starting the projection thread again');
    let spawned = false;
    try {
      await this.#spawn();
      spawned = true;
      // What ran before runs again, each consumer from its stored checkpoint.
      const relays = this.feed.relays();
      if (relays.length > 0) await this.call('feed', 'join', [relays]);
      if (this.started.runner) await this.call('runner', 'start');
      if (this.started.outbox) await this.call('outbox', 'start');
      if (this.started.feed) await this.call('feed', 'start');
      this.#restarts++;
      this.#failures = 0;
      this.#logger.info({ restarts: this.#restarts }, 'the projection thread runs again');
    } catch (error) {
      this.#logger.error({ err: error }, 'the projection thread could not be started again');
      // Not started: try again later. Started, and a call failed: end it (its exit tries again). Started, and
      // ended meanwhile: its exit has already scheduled the next try (one thread at a time).
      if (!spawned) this.#lost(1);
      else if (this.#worker) void this.#worker.terminate();
    }
  }

  #receive(message: FromThread): void {
    switch (message.t) {
      case 'status':
        this.#snapshot = message.snapshot;
        this.#snapshots.next();
        return;
      case 'reply': {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (!pending) return;
        if (message.ok) pending.resolve(message.value);
        else pending.reject(fromData(message.error));
        return;
      }
      case 'progress':
        this.#pending.get(message.id)?.onProgress?.(message.progress);
        return;
      case 'resume':
      case 'page': {
        // The answer goes to the thread that asked: one that died meanwhile is gone, and its ids mean other
        // questions in the thread started after it.
        const asker = this.#worker;
        const answer = (reply: ToThread) => {
          if (this.#worker === asker) this.#post(reply);
        };
        void this.feed.serve(message).then(
          (value) => answer({ t: 'answer', id: message.id, ok: true, value }),
          (error: unknown) => answer({ t: 'answer', id: message.id, ok: false, error: errorData(error) }),
        );
        return;
      }
      case 'nudge':
        this.#nudge();
        return;
      case 'log':
        if (this.#stream) this.#stream.write(message.line);
        return;
    }
  }
}

function fromData(error: ErrorData): Error {
  const made = error.name === 'TimeoutError' ? new TimeoutError() : new Error(error.message);
  if (error.stack) made.stack = error.stack;
  return made;
}

/** The runner in the projection thread, as the HTTP thread sees it. */
export class RemoteRunner implements Runner {
  names: string[] = [];
  readonly #thread: ProjectionThread;
  readonly #target: 'runner' | 'outbox';
  readonly #waiters = new Set<{ position: number; resolve: () => void }>();

  constructor(thread: ProjectionThread, target: 'runner' | 'outbox') {
    this.#thread = thread;
    this.#target = target;
    thread.snapshots.subscribe(() => this.#wake());
  }

  get projectionNames(): string[] {
    return [...this.names];
  }

  async start(): Promise<void> {
    this.#thread.started[this.#target] = true;
    await this.#thread.call(this.#target, 'start');
  }

  async stop(): Promise<void> {
    this.#thread.started[this.#target] = false;
    if (this.#thread.failure) return;
    await this.#thread.call(this.#target, 'stop');
  }

  catchUp(): Promise<void> {
    return this.#thread.call(this.#target, 'catchUp');
  }

  replay(
    names?: readonly string[],
    onProgress?: (progress: RebuildProgress) => void,
  ): Promise<RebuildSummary[]> {
    return this.#thread.call(this.#target, 'replay', [names ? [...names] : undefined], onProgress);
  }

  status(): ProjectionStatus[] {
    return this.#thread.snapshot[this.#target].map((s) => ({ ...s }));
  }

  async waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    if (this.#lowest() >= position) return;
    this.#thread.waiting(1);
    try {
      await new Promise<void>((resolve, reject) => {
        const waiter = {
          position,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new TimeoutError());
        }, timeoutMs);
        this.#waiters.add(waiter);
      });
    } finally {
      this.#thread.waiting(-1);
    }
  }

  #lowest(): number {
    const statuses = this.#thread.snapshot[this.#target];
    if (statuses.length === 0) return 0;
    let lowest = Number.POSITIVE_INFINITY;
    for (const s of statuses) if (s.position < lowest) lowest = s.position;
    return lowest;
  }

  #wake(): void {
    if (this.#waiters.size === 0) return;
    const lowest = this.#lowest();
    for (const waiter of this.#waiters) {
      if (waiter.position > lowest) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }
}

function relaySpec(c: FeedConsumer): RelaySpec {
  return {
    name: c.name,
    ...(c.eventTypes ? { eventTypes: [...c.eventTypes] } : {}),
    ...(c.relayFilter ? { filter: c.relayFilter } : {}),
  };
}

/** The feed in the projection thread, as the HTTP thread's consumers see it. */
export class RemoteFeed implements Feed {
  readonly #thread: ProjectionThread;
  readonly #consumers = new Map<string, FeedConsumer>();
  readonly #relayed = { pages: 0, events: 0 };

  constructor(thread: ProjectionThread) {
    this.#thread = thread;
  }

  /** Pages (and their events) the thread relayed to the consumers here so far: what relaying cost this thread. */
  get relayed(): { pages: number; events: number } {
    return { ...this.#relayed };
  }

  relays(): RelaySpec[] {
    return [...this.#consumers.values()].map(relaySpec);
  }

  /** A page or a resume for one of the consumers here. */
  async serve(message: Extract<FromThread, { t: 'resume' | 'page' }>): Promise<unknown> {
    const consumer = this.#consumers.get(message.name);
    if (!consumer) throw new Error(`no feed consumer ${message.name} on the HTTP thread`);
    if (message.t === 'resume') return consumer.resume();
    this.#relayed.pages++;
    this.#relayed.events += message.page.events.length;
    await consumer.handle(message.page);
    return undefined;
  }

  async join(consumers: readonly FeedConsumer[]): Promise<void> {
    for (const consumer of consumers) {
      if (this.#consumers.has(consumer.name)) throw new Error(`Feed consumer ${consumer.name} joined twice`);
      this.#consumers.set(consumer.name, consumer);
    }
    const specs = consumers.map(relaySpec);
    try {
      await this.#thread.call('feed', 'join', [specs]);
    } catch (error) {
      for (const consumer of consumers) this.#consumers.delete(consumer.name);
      throw error;
    }
  }

  start(): void {
    this.#thread.started.feed = true;
    this.#thread.call('feed', 'start').catch(() => {});
  }

  async leave(names: readonly string[]): Promise<void> {
    for (const name of names) this.#consumers.delete(name);
    if (this.#thread.failure) return;
    await this.#thread.call('feed', 'leave', [[...names]]);
  }

  async stop(): Promise<void> {
    this.#thread.started.feed = false;
    this.#consumers.clear();
    if (this.#thread.failure) return;
    await this.#thread.call('feed', 'stop');
  }

  status(): ConsumerStatus[] {
    return this.#thread.snapshot.feed.consumers.map((c) => ({ ...c }));
  }

  statusOf(name: string): ConsumerStatus | null {
    const found = this.#thread.snapshot.feed.consumers.find((c) => c.name === name);
    return found ? { ...found } : null;
  }

  positionOf(name: string): Position | null {
    return this.statusOf(name)?.position ?? null;
  }

  recheck(): Promise<void> {
    return this.#thread.call('feed', 'recheck');
  }

  get halted(): string | null {
    return this.#thread.snapshot.feed.halted;
  }

  get lastError(): string | null {
    return this.#thread.snapshot.feed.lastError;
  }

  get progress(): Subject<void> {
    return this.#thread.snapshots;
  }
}
