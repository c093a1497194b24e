import type { Subscription } from 'rxjs';
import type { Clock } from '../ports/clock.ts';
import type { EventStore, RecordedEvent } from '../ports/eventStore.ts';
import { findAll } from '../ports/findAll.ts';
import type { Doc, ReadStore } from '../ports/readStore.ts';
import {
  WORKER_EVENT_TRIGGERS,
  WORKERS,
  type WorkerDoc,
  type WorkerEventTriggerDoc,
} from '../workers/readModel.ts';
import { depthOf } from './deliveries.ts';
import {
  type DeliveryLogger,
  DeliveryQueue,
  type DeliveryStats,
  type InvocationSummary,
} from './deliveryQueue.ts';
import type { InvokeWorkerRequest } from './invokeWorker.ts';

/**
 * The event trigger (DESIGN §4): follows `$all` from its own checkpoint and hands every event to the
 * `DeliveryQueue` once for each enabled, deployed worker of the event's project that lists the event's type.
 * See docs/adr/0009-triggers-and-plugins.md for the scheme; in short:
 *
 * - Deliveries (`deliveries.ts`) run at least once per (worker, event) in per-worker lanes
 *   (`deliveryQueue.ts`): a slow or failing worker delays only itself, and never holds the subscription back.
 * - The checkpoint advances past an event once each of its deliveries is settled: final, or in the durable
 *   queue. A crash replays at most the events after the checkpoint (their final deliveries are skipped, the
 *   others invoked again).
 * - Custom events deeper than `depthLimit` are not delivered (recorded `skipped`, reason `depth_limit`).
 * - A failing subscription (or read) is retried from the stored checkpoint with backoff; the state, lag and
 *   last error are on `/health`.
 */

export const RUNTIME_CHECKPOINT = 'm3m_runtime_checkpoint';
const CHECKPOINT_ID = 'checkpoint';

export type SubscriberLogger = DeliveryLogger;

export interface RuntimeSubscriberOptions {
  eventStore: EventStore;
  readStore: ReadStore;
  clock: Clock;
  invoke(request: InvokeWorkerRequest): Promise<InvocationSummary>;
  /**
   * Resolves once the read models (the workers and their triggers) include every event up to `position`,
   * so an event is matched against the workers as they were when it happened. Default: no wait.
   */
  readModelsAt?(position: number): Promise<void>;
  logger?: SubscriberLogger;
  /** Invocations of one worker for one event before it is recorded `failed`. Default 5. */
  maxAttempts?: number;
  /** Custom events deeper than this are not delivered. Default 8. */
  depthLimit?: number;
  /** First retry delay; doubles per attempt (±20 % jitter) up to `retryMaxMs`. Default 1000 / 300 000. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Whether a project may start another invocation now (its fair share); lanes of a full one wait. */
  hasRoom?(projectId: string): boolean;
  /** Deliveries of one project running at once. Default: no cap beyond `concurrency`. */
  maxPerProject?: number;
  /** Deliveries running at once, over all workers. Default 16. */
  concurrency?: number;
  /** Deliveries held in memory per worker; more are deferred to the durable queue. Default 100. */
  maxQueuePerWorker?: number;
  /** Events received and not yet settled before the subscription pauses. Default 1000. */
  maxPendingEvents?: number;
  /** How often lapsed claims and forgotten durable deliveries are looked for. Default 1000. */
  pollMs?: number;
  /** How long an `in_flight` claim lasts before another run may take the delivery over. Default 120 000. */
  claimMs?: number;
  /** Resubscribe delay after a failure: doubles from `initialMs` to `maxMs`. Default 250 / 30 000. */
  resubscribeBackoff?: { initialMs: number; maxMs: number };
  /** How often the checkpoint is written while events settle. Default 200. */
  checkpointIntervalMs?: number;
}

export type SubscriberState = 'idle' | 'starting' | 'live' | 'paused' | 'retrying' | 'stopped';

export interface SubscriberStatus extends DeliveryStats {
  state: SubscriberState;
  /** Every event up to this `$all` position is settled (the stored checkpoint). */
  position: number;
  /** The last event received from the subscription. */
  received: number;
  pendingEvents: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

/** An event received and not yet settled: the checkpoint may not pass it before `done`. */
interface PendingEvent {
  position: number;
  outstanding: number;
  done: boolean;
  settled(): void;
}

const silent: SubscriberLogger = { info: () => {}, warn: () => {}, error: () => {} };

type Settings = Required<
  Pick<
    RuntimeSubscriberOptions,
    'depthLimit' | 'maxPendingEvents' | 'resubscribeBackoff' | 'checkpointIntervalMs'
  >
> &
  Pick<RuntimeSubscriberOptions, 'eventStore' | 'readStore' | 'clock'> & {
    readModelsAt: (position: number) => Promise<void>;
    logger: SubscriberLogger;
  };

export class RuntimeSubscriber {
  readonly #o: Settings;
  readonly #queue: DeliveryQueue;
  #state: SubscriberState = 'idle';
  #subscription: Subscription | null = null;
  #inbox: RecordedEvent[] = [];
  #matching: Promise<void> | null = null;
  #pending = new Map<number, PendingEvent>();
  /** Bumped at every resubscribe: work of an older generation must not touch the new one's state. */
  #generation = 0;
  #received = 0;
  #settled = 0;
  #stored = 0;
  #checkpointTimer: NodeJS.Timeout | null = null;
  #checkpointWrite: Promise<void> = Promise.resolve();
  #retryTimer: NodeJS.Timeout | null = null;
  #failures = 0;
  #lastError: string | null = null;
  #lastErrorAt: string | null = null;

  constructor(options: RuntimeSubscriberOptions) {
    const logger = options.logger ?? silent;
    this.#o = {
      eventStore: options.eventStore,
      readStore: options.readStore,
      clock: options.clock,
      depthLimit: options.depthLimit ?? 8,
      maxPendingEvents: options.maxPendingEvents ?? 1000,
      resubscribeBackoff: options.resubscribeBackoff ?? { initialMs: 250, maxMs: 30_000 },
      checkpointIntervalMs: options.checkpointIntervalMs ?? 200,
      readModelsAt: options.readModelsAt ?? (async () => {}),
      logger,
    };
    this.#queue = new DeliveryQueue({
      eventStore: options.eventStore,
      readStore: options.readStore,
      clock: options.clock,
      invoke: options.invoke,
      logger,
      maxAttempts: options.maxAttempts ?? 5,
      retryBaseMs: options.retryBaseMs ?? 1000,
      retryMaxMs: options.retryMaxMs ?? 300_000,
      concurrency: options.concurrency ?? 16,
      maxQueuePerWorker: options.maxQueuePerWorker ?? 100,
      pollMs: options.pollMs ?? 1000,
      claimMs: options.claimMs ?? 120_000,
      reportError: (err) => this.#noteError(err),
      ...(options.hasRoom ? { hasRoom: options.hasRoom } : {}),
      ...(options.maxPerProject ? { maxPerProject: options.maxPerProject } : {}),
    });
  }

  /**
   * Starts following `$all` after the stored checkpoint. The first start of an installation begins at the
   * current head: history from before the runtime existed is never fed to workers.
   */
  async start(): Promise<void> {
    this.#state = 'starting';
    await this.#queue.start();
    let position = await this.#readCheckpoint();
    if (position === null) {
      position = await this.#o.eventStore.headPosition();
      await this.#writeCheckpoint(position);
    }
    this.#stored = position;
    this.#settled = position;
    this.#subscribe(position);
    await this.#queue.resume();
  }

  status(): SubscriberStatus {
    return {
      state: this.#state,
      position: this.#stored,
      received: this.#received,
      pendingEvents: this.#pending.size + this.#inbox.length,
      ...this.#queue.stats(),
      lastError: this.#lastError,
      lastErrorAt: this.#lastErrorAt,
    };
  }

  /** Deliveries waiting in the durable queue (retries and deferred ones). */
  backlog(): Promise<number> {
    return this.#queue.backlog();
  }

  /** Resolves once every event up to `position` is settled and the checkpoint is stored. */
  async waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#stored < position) {
      if (Date.now() > deadline) {
        throw new Error(`runtime subscriber did not reach position ${position} (at ${this.#stored})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Looks for lapsed claims and forgotten durable deliveries now (tests; the timer does it every `pollMs`). */
  pollNow(): Promise<void> {
    return this.#queue.pollNow();
  }

  /**
   * Stops following `$all`, lets running invocations finish (bounded), hands deliveries that had not
   * started back to the durable queue, and stores the checkpoint.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#generation++;
    this.#subscription?.unsubscribe();
    this.#subscription = null;
    for (const timer of [this.#retryTimer, this.#checkpointTimer]) if (timer) clearTimeout(timer);
    this.#retryTimer = this.#checkpointTimer = null;
    this.#inbox = [];
    await this.#queue.stop(this.#matching ?? Promise.resolve());
    await this.#flushCheckpoint();
  }

  // ── following $all ────────────────────────────────────────────────────────────────────────────────────

  #subscribe(from: number): void {
    const generation = this.#generation;
    this.#received = from;
    this.#state = 'live';
    this.#subscription = this.#o.eventStore.subscribeAll({ fromPosition: from }).subscribe({
      next: (event) => {
        if (generation !== this.#generation) return;
        this.#received = event.position;
        this.#inbox.push(event);
        if (this.#inbox.length + this.#pending.size >= this.#o.maxPendingEvents) this.#pause();
        this.#matching ??= this.#match(generation);
      },
      error: (err: unknown) => {
        if (generation === this.#generation) this.#fail(err, 'runtime subscription failed');
      },
      complete: () => {
        if (generation === this.#generation && this.#state !== 'stopped') {
          this.#fail(new Error('the event store subscription ended'), 'runtime subscription ended');
        }
      },
    });
  }

  /** Too much received and not settled: stop reading until half of it has settled. */
  #pause(): void {
    if (this.#state !== 'live') return;
    this.#state = 'paused';
    this.#subscription?.unsubscribe();
    this.#subscription = null;
  }

  #resumeIfRoom(): void {
    if (this.#state !== 'paused') return;
    if (this.#inbox.length + this.#pending.size > this.#o.maxPendingEvents / 2) return;
    this.#subscribe(this.#received);
  }

  async #match(generation: number): Promise<void> {
    try {
      while (this.#inbox.length > 0 && generation === this.#generation) {
        const event = this.#inbox.shift()!;
        await this.#handle(event, generation);
      }
      if (generation === this.#generation) this.#failures = 0;
    } catch (err) {
      if (generation === this.#generation) this.#fail(err, 'runtime subscriber could not match an event');
    } finally {
      this.#matching = null;
      const following = this.#state === 'live' || this.#state === 'paused';
      if (following && this.#inbox.length > 0) this.#matching = this.#match(this.#generation);
      else this.#resumeIfRoom();
    }
  }

  async #handle(event: RecordedEvent, generation: number): Promise<void> {
    const pending: PendingEvent = {
      position: event.position,
      outstanding: 0,
      done: false,
      settled: () => this.#settle(pending),
    };
    this.#pending.set(event.position, pending);
    try {
      const projectId = projectOf(event);
      if (projectId === null) return;
      await this.#o.readModelsAt(event.position);
      const workers = await this.#workersFor(event.type, projectId);
      if (workers.length === 0) return;
      const depth = depthOf(event);
      if (depth > this.#o.depthLimit) {
        const message = `event depth ${depth} is over the limit of ${this.#o.depthLimit} (M3M_EVENT_DEPTH_LIMIT): not delivered`;
        this.#o.logger.warn(
          { eventId: event.id, type: event.type, projectId, depth, workers: workers.map((w) => w.id) },
          message,
        );
        await this.#queue.skip(event, workers, 'depth_limit', message);
        return;
      }
      for (const worker of workers) {
        if (generation !== this.#generation) return;
        await this.#queue.deliver(event, worker, pending);
      }
    } finally {
      if (pending.outstanding === 0) this.#settle(pending);
    }
  }

  async #workersFor(eventType: string, projectId: string): Promise<WorkerDoc[]> {
    const { readStore } = this.#o;
    const triggers = await findAll(readStore.collection<WorkerEventTriggerDoc>(WORKER_EVENT_TRIGGERS), {
      eventType,
      projectId,
    });
    if (triggers.length === 0) return [];
    const workers = await findAll(readStore.collection<WorkerDoc>(WORKERS), {
      id: { $in: [...new Set(triggers.map((t) => t.workerId))] },
    });
    return workers
      .filter((w) => w.projectId === projectId && w.enabled && w.activeVersion !== null)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  // ── checkpoint ────────────────────────────────────────────────────────────────────────────────────────

  /** Marks an event settled and moves the checkpoint over the settled prefix. */
  #settle(pending: PendingEvent): void {
    pending.done = true;
    if (this.#pending.get(pending.position) !== pending) return; // from before a resubscribe
    for (const [position, entry] of this.#pending) {
      if (!entry.done) break;
      this.#pending.delete(position);
      this.#settled = Math.max(this.#settled, position);
    }
    this.#scheduleCheckpoint();
    this.#resumeIfRoom();
  }

  #scheduleCheckpoint(): void {
    if (this.#checkpointTimer || this.#settled <= this.#stored) return;
    this.#checkpointTimer = setTimeout(() => {
      this.#checkpointTimer = null;
      void this.#flushCheckpoint();
    }, this.#o.checkpointIntervalMs);
    this.#checkpointTimer.unref();
  }

  #flushCheckpoint(): Promise<void> {
    this.#checkpointWrite = this.#checkpointWrite.then(async () => {
      const position = this.#settled;
      if (position <= this.#stored) return;
      try {
        await this.#writeCheckpoint(position);
        this.#stored = Math.max(this.#stored, position);
      } catch (err) {
        this.#o.logger.error({ err }, 'runtime subscriber could not store its checkpoint');
        this.#scheduleCheckpoint();
      }
    });
    return this.#checkpointWrite;
  }

  async #readCheckpoint(): Promise<number | null> {
    const doc = await this.#o.readStore
      .collection<Doc & { position: number }>(RUNTIME_CHECKPOINT)
      .get(CHECKPOINT_ID);
    return doc ? doc.position : null;
  }

  async #writeCheckpoint(position: number): Promise<void> {
    await this.#o.readStore.collection(RUNTIME_CHECKPOINT).upsert({
      id: CHECKPOINT_ID,
      position,
      updatedAt: this.#o.clock.now().toISOString(),
    });
  }

  // ── failures ──────────────────────────────────────────────────────────────────────────────────────────

  /** Drops what was received but not handled and resubscribes from the stored checkpoint after a backoff. */
  #fail(err: unknown, message: string): void {
    if (this.#state === 'stopped') return;
    this.#noteError(err);
    this.#o.logger.error({ err }, `${message}; resubscribing from the checkpoint`);
    this.#state = 'retrying';
    this.#generation++;
    this.#subscription?.unsubscribe();
    this.#subscription = null;
    this.#inbox = [];
    this.#pending = new Map();
    this.#failures++;
    const { initialMs, maxMs } = this.#o.resubscribeBackoff;
    const delay = Math.min(maxMs, initialMs * 2 ** (this.#failures - 1));
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.#resubscribe();
    }, delay);
    this.#retryTimer.unref();
  }

  async #resubscribe(): Promise<void> {
    if (this.#state === 'stopped') return;
    try {
      await this.#matching;
      await this.#flushCheckpoint();
      const stored = (await this.#readCheckpoint()) ?? this.#stored;
      this.#stored = stored;
      this.#settled = stored;
      this.#subscribe(stored);
    } catch (err) {
      this.#fail(err, 'runtime subscriber could not resubscribe');
    }
  }

  #noteError(err: unknown): void {
    this.#lastError = err instanceof Error ? err.message : String(err);
    this.#lastErrorAt = new Date().toISOString();
  }
}

/** The project an event belongs to: `data.projectId` (built-in events and custom ones carry it). */
function projectOf(event: RecordedEvent): string | null {
  const data = event.data as { projectId?: unknown } | null;
  return data && typeof data === 'object' && typeof data.projectId === 'string' ? data.projectId : null;
}
