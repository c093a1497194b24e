import { EventFeed, type Feed, type FeedConsumer, type FeedPage } from '../eventFeed.ts';
import type { Clock } from '../ports/clock.ts';
import type { EventStore, RecordedEvent } from '../ports/eventStore.ts';
import { findAll } from '../ports/findAll.ts';
import type { Doc, ReadStore } from '../ports/readStore.ts';
import { readModelMemo } from '../readModelMemo.ts';
import {
  WORKER_EVENT_TRIGGERS,
  WORKERS,
  type WorkerDoc,
  type WorkerEventTriggerDoc,
} from '../workers/readModel.ts';
import { depthOf } from './deliveries.ts';
import {
  type ClaimOwners,
  type DeliveryLogger,
  DeliveryQueue,
  type DeliveryRequest,
  type DeliveryStats,
  type InvocationSummary,
} from './deliveryQueue.ts';
import { listenedPairs, projectOf, triggerPair } from './eventTriggers.ts';
import type { InvokeWorkerRequest } from './invokeWorker.ts';

/**
 * The event trigger (DESIGN §4): a consumer of the process's one feed of `$all` (`../eventFeed.ts`) with its
 * own checkpoint; it hands every event to the
 * `DeliveryQueue` once for each enabled, deployed worker of the event's project that lists the event's type.
 * See docs/adr/0009-triggers-and-plugins.md for the scheme; in short:
 *
 * - Deliveries (`deliveries.ts`) run at least once per (worker, event) in per-worker lanes
 *   (`deliveryQueue.ts`): a slow or failing worker delays only itself, and never holds the subscription back.
 * - The checkpoint advances past an event once each of its deliveries is settled: final, or in the durable
 *   queue. A crash replays at most the events after the checkpoint (their final deliveries are skipped, the
 *   others invoked again).
 * - Custom events deeper than `depthLimit` are not delivered (recorded `skipped`, reason `depth_limit`).
 * - A failing match (or read) is retried by the feed from the stored checkpoint with backoff; the state, lag
 *   and last error are on `/health`.
 */

export const RUNTIME_CHECKPOINT = 'm3m_runtime_checkpoint';
/** Its name in the feed. */
export const RUNTIME_CONSUMER = 'runtime';
const CHECKPOINT_ID = 'checkpoint';

export type SubscriberLogger = DeliveryLogger;

export interface RuntimeSubscriberOptions {
  eventStore: EventStore;
  readStore: ReadStore;
  clock: Clock;
  /** The process's one follower of `$all`; one of its own when absent (tests, benches). */
  feed?: Feed;
  invoke(request: InvokeWorkerRequest): Promise<InvocationSummary>;
  /** Whose delivery claims are whose (the process lease); default: a process alone on its store. */
  owners?: ClaimOwners;
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
  /** The most deliveries of one worker running at once, whatever it asks. Default 8. */
  maxWorkerConcurrency?: number;
  /**
   * Deliveries of an in-order worker handed to `invoke` ahead of their turn (`DeliveryQueueOptions.inOrderAhead`):
   * only for an `invoke` that honours `request.turn` with a sandbox that runs a worker's invocations in the order
   * it gets them (`runWorker`). Default 0.
   */
  inOrderAhead?: number;
  /** Deliveries held in memory per worker; more are deferred to the durable queue. Default 100. */
  maxQueuePerWorker?: number;
  /** Events received and not yet settled before the subscription pauses. Default 1000. */
  maxPendingEvents?: number;
  /** How often lapsed claims and forgotten durable deliveries are looked for. Default 1000. */
  pollMs?: number;
  /**
   * How long a durable delivery waits unnoticed before the poll refills it, and when a claim without an owner
   * lapses. Default 120 000.
   */
  claimMs?: number;
  /**
   * Retry delay after a failure: doubles from `initialMs` to `maxMs`. Default 250 / 30 000. Only for a feed of
   * its own: a shared feed has its own backoff.
   */
  resubscribeBackoff?: { initialMs: number; maxMs: number };
  /** How often the checkpoint is written while events settle. Default 200. */
  checkpointIntervalMs?: number;
}

export type SubscriberState =
  | 'idle'
  | 'starting'
  | 'catching_up'
  | 'live'
  | 'paused'
  | 'retrying'
  | 'halted'
  | 'stopped';

export interface SubscriberStatus extends DeliveryStats {
  state: SubscriberState;
  /** Every event up to this `$all` position is settled (the stored checkpoint). */
  position: number;
  /** The last event received from the feed. */
  received: number;
  /** Seconds since it was last at the head of `$all` (0 while it is). */
  lagSeconds: number;
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

/** Deliveries gathered from a page, and the events they came from (settled once the batch is handed in). */
interface Batch {
  deliveries: DeliveryRequest[];
  events: PendingEvent[];
}

const silent: SubscriberLogger = { info: () => {}, warn: () => {}, error: () => {} };

type Settings = Required<
  Pick<RuntimeSubscriberOptions, 'depthLimit' | 'maxPendingEvents' | 'checkpointIntervalMs'>
> &
  Pick<RuntimeSubscriberOptions, 'eventStore' | 'readStore' | 'clock'> & {
    readModelsAt: (position: number) => Promise<void>;
    logger: SubscriberLogger;
  };

export class RuntimeSubscriber {
  readonly #o: Settings;
  readonly #queue: DeliveryQueue;
  readonly #feed: Feed;
  readonly #ownsFeed: boolean;
  #state: 'idle' | 'starting' | 'running' | 'stopped' = 'idle';
  #pending = new Map<number, PendingEvent>();
  /** Bumped at every resume: work of an older generation must not touch the new one's state. */
  #generation = 0;
  #received = 0;
  #settled = 0;
  #stored = 0;
  /** Pages waiting for room: too many events received and not settled. */
  #roomWaiters: (() => void)[] = [];
  #checkpointTimer: NodeJS.Timeout | null = null;
  #checkpointWrite: Promise<void> = Promise.resolve();
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
      checkpointIntervalMs: options.checkpointIntervalMs ?? 200,
      readModelsAt: options.readModelsAt ?? (async () => {}),
      logger,
    };
    this.#ownsFeed = !options.feed;
    this.#feed =
      options.feed ??
      new EventFeed({
        eventStore: options.eventStore,
        logger,
        backoff: options.resubscribeBackoff,
      });
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
      ...(options.owners ? { owners: options.owners } : {}),
      ...(options.hasRoom ? { hasRoom: options.hasRoom } : {}),
      ...(options.maxPerProject ? { maxPerProject: options.maxPerProject } : {}),
      ...(options.maxWorkerConcurrency ? { maxWorkerConcurrency: options.maxWorkerConcurrency } : {}),
      ...(options.inOrderAhead ? { inOrderAhead: options.inOrderAhead } : {}),
    });
  }

  /**
   * Joins the feed after the stored checkpoint. The first start of an installation begins at the current
   * head: history from before the runtime existed is never fed to workers.
   */
  async start(): Promise<void> {
    this.#state = 'starting';
    await this.#queue.start();
    await this.#feed.join([this.#consumer()]);
    this.#feed.start();
    this.#state = 'running';
    await this.#queue.resume();
  }

  status(): SubscriberStatus {
    const consumer = this.#feed.statusOf(RUNTIME_CONSUMER);
    const feedNewer = (consumer?.lastErrorAt ?? '') > (this.#lastErrorAt ?? '');
    return {
      state: this.#publicState(consumer?.state),
      position: this.#stored,
      received: this.#received,
      lagSeconds: consumer?.lagSeconds ?? 0,
      pendingEvents: this.#pending.size,
      ...this.#queue.stats(),
      lastError: feedNewer ? consumer!.lastError : this.#lastError,
      lastErrorAt: feedNewer ? consumer!.lastErrorAt : this.#lastErrorAt,
    };
  }

  #publicState(consumer: string | undefined): SubscriberState {
    if (this.#state !== 'running' || !consumer) return this.#state === 'running' ? 'stopped' : this.#state;
    if (consumer === 'live' || consumer === 'catching_up' || consumer === 'starting') {
      return this.#roomWaiters.length > 0 ? 'paused' : consumer === 'starting' ? 'catching_up' : consumer;
    }
    return consumer as SubscriberState;
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
   * Leaves the feed, lets running invocations finish (bounded), hands deliveries that had not started back to
   * the durable queue, and stores the checkpoint.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#generation++;
    this.#releaseRoom();
    if (this.#checkpointTimer) clearTimeout(this.#checkpointTimer);
    this.#checkpointTimer = null;
    const leaving = this.#feed.leave([RUNTIME_CONSUMER]);
    await this.#queue.stop(leaving);
    if (this.#ownsFeed) await this.#feed.stop();
    await this.#flushCheckpoint();
  }

  // ── the feed ──────────────────────────────────────────────────────────────────────────────────────────

  #consumer(): FeedConsumer {
    return {
      name: RUNTIME_CONSUMER,
      // It delivers only events some worker listens to: a feed in the projection thread keeps the others there.
      relayFilter: 'eventTriggers',
      resume: () => this.#resume(),
      handle: (page) => this.#handlePage(page),
    };
  }

  /** Where the feed starts it (again): the stored checkpoint; whatever was received and not settled is dropped. */
  async #resume(): Promise<number> {
    this.#generation++;
    this.#releaseRoom();
    await this.#flushCheckpoint();
    this.#pending = new Map();
    let position = await this.#readCheckpoint();
    if (position === null) {
      position = await this.#o.eventStore.headPosition();
      await this.#writeCheckpoint(position);
    }
    this.#stored = position;
    this.#settled = position;
    this.#received = position;
    return position;
  }

  /**
   * Matches a page's events against the workers and hands their deliveries to the queue in batches (one
   * read-store transaction each): at the page's end, and whenever too much is pending to read on.
   */
  async #handlePage(page: FeedPage): Promise<void> {
    const generation = this.#generation;
    const batch: Batch = { deliveries: [], events: [] };
    for (const event of page.events) {
      if (generation !== this.#generation) return;
      this.#received = event.position;
      await this.#handle(event, generation, batch);
      if (this.#pending.size >= this.#o.maxPendingEvents) {
        await this.#flush(batch, generation);
        await this.#room(generation);
      }
    }
    await this.#flush(batch, generation);
    if (generation !== this.#generation) return;
    // The page covers up to `upTo`: the checkpoint may pass what it held nothing of once the events are settled.
    if (page.upTo > this.#received) {
      this.#received = page.upTo;
      const marker: PendingEvent = {
        position: page.upTo,
        outstanding: 0,
        done: false,
        settled: () => this.#settle(marker),
      };
      this.#pending.set(page.upTo, marker);
      this.#settle(marker);
    }
  }

  /** Records and queues the batch's deliveries; its events with nothing outstanding are settled. */
  async #flush(batch: Batch, generation: number): Promise<void> {
    const { deliveries, events } = batch;
    batch.deliveries = [];
    batch.events = [];
    if (generation !== this.#generation) return;
    try {
      if (deliveries.length > 0) await this.#queue.deliverAll(deliveries);
    } finally {
      for (const pending of events) if (pending.outstanding === 0) this.#settle(pending);
    }
  }

  /** Too much received and not settled: the page waits until half of it has settled. */
  async #room(generation: number): Promise<void> {
    while (this.#pending.size >= this.#o.maxPendingEvents && generation === this.#generation) {
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
    }
  }

  #releaseRoom(): void {
    for (const resolve of this.#roomWaiters.splice(0)) resolve();
  }

  /** Adds the event's deliveries to the batch (its settling waits for the batch); skips those too deep. */
  async #handle(event: RecordedEvent, generation: number, batch: Batch): Promise<void> {
    const pending: PendingEvent = {
      position: event.position,
      outstanding: 0,
      done: false,
      settled: () => this.#settle(pending),
    };
    this.#pending.set(event.position, pending);
    batch.events.push(pending);
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
    if (generation !== this.#generation) return;
    for (const worker of workers) batch.deliveries.push({ event, worker, waiter: pending });
  }

  async #workersFor(eventType: string, projectId: string): Promise<WorkerDoc[]> {
    const { readStore } = this.#o;
    // The (project, type) pairs some worker listens to, from memory while the workers projection has not moved:
    // an event no worker listens to costs no query (`eventTriggers.ts`: the projection thread relays by it too).
    const listened = await listenedPairs(readStore);
    const pair = triggerPair(projectId, eventType);
    if (!listened.has(pair)) return [];
    // The listeners of a (project, type) pair, from memory while the workers projection has not moved: a burst
    // of one type costs no query per event.
    const workers = await readModelMemo<WorkerDoc[]>(readStore, 'workers', 'eventListeners').get(
      pair,
      async () => {
        const triggers = await findAll(readStore.collection<WorkerEventTriggerDoc>(WORKER_EVENT_TRIGGERS), {
          eventType,
          projectId,
        });
        if (triggers.length === 0) return [];
        const docs = await findAll(readStore.collection<WorkerDoc>(WORKERS), {
          id: { $in: [...new Set(triggers.map((t) => t.workerId))] },
        });
        return docs
          .filter((w) => w.projectId === projectId && w.enabled && w.activeVersion !== null)
          .sort((a, b) => a.id.localeCompare(b.id));
      },
    );
    return workers ?? [];
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
    if (this.#pending.size <= this.#o.maxPendingEvents / 2) this.#releaseRoom();
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

  #noteError(err: unknown): void {
    this.#lastError = err instanceof Error ? err.message : String(err);
    this.#lastErrorAt = new Date().toISOString();
  }
}
