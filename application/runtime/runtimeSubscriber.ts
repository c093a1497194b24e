import type { Subscription } from 'rxjs';
import { ApplicationError } from '../errors.ts';
import type { Clock } from '../ports/clock.ts';
import type { EventStore, RecordedEvent } from '../ports/eventStore.ts';
import { findAll } from '../ports/findAll.ts';
import { type Doc, DuplicateKeyError, type ReadStore } from '../ports/readStore.ts';
import {
  WORKER_EVENT_TRIGGERS,
  WORKERS,
  type WorkerDoc,
  type WorkerEventTriggerDoc,
} from '../workers/readModel.ts';
import type { InvokeWorkerRequest } from './invokeWorker.ts';

/**
 * The event trigger (DESIGN §4): follows `$all` from its own checkpoint and calls `onEvent` of every enabled,
 * deployed worker of the event's project that lists the event's type, at least once per (worker, event).
 * See docs/adr/0009-triggers-and-plugins.md for the scheme; in short:
 *
 * - A delivery is the document `worker_deliveries/<workerId>:<eventId>`: the event id is the idempotency key.
 *   `in_flight` (being invoked, claimed until `dueAt`), the durable queue's `queued` (a retry, due at
 *   `dueAt`) and `deferred` (waiting since `dueAt` because its worker had too much in memory), and the final
 *   `succeeded`, `failed` (after `maxAttempts`) and `skipped` (depth limit; worker disabled, undeployed or
 *   deleted meanwhile). A final delivery is never invoked again.
 * - Each worker has its own lane: an in-memory queue of at most `maxQueuePerWorker` deliveries, run one at
 *   a time (so a worker sees its events in order unless one is retried), with at most `concurrency`
 *   deliveries running over all lanes. Beyond that a worker's deliveries are deferred to the durable queue,
 *   and its lane refills from there (oldest first) as it drains; its retries wait there for their time. So a
 *   slow or failing worker delays only itself, and never holds the subscription back.
 * - The checkpoint advances past an event once each of its deliveries is settled: final, or in the durable
 *   queue. A crash replays at most the events after the checkpoint (their final deliveries are skipped, the
 *   others invoked again); at start the lanes of workers with durable deliveries refill; a poll every
 *   `pollMs` takes over `in_flight` claims that lapsed and durable deliveries nobody picked up for
 *   `claimMs` (their process died).
 * - Custom events deeper than `depthLimit` are not delivered (recorded `skipped`, reason `depth_limit`).
 * - A failing subscription (or read) is retried from the stored checkpoint with backoff; the state, lag and
 *   last error are on `/health`.
 */

export const RUNTIME_CHECKPOINT = 'm3m_runtime_checkpoint';
export const WORKER_DELIVERIES = 'worker_deliveries';
const CHECKPOINT_ID = 'checkpoint';

export type DeliveryStatus = 'in_flight' | 'queued' | 'deferred' | 'succeeded' | 'failed' | 'skipped';
const DURABLE: DeliveryStatus[] = ['queued', 'deferred'];

export interface DeliveryDoc extends Doc {
  workerId: string;
  projectId: string;
  eventId: string;
  eventType: string;
  /** The event's `$all` position (to read it again for a retry). */
  position: number;
  status: DeliveryStatus;
  /** Invocations made so far. */
  attempts: number;
  lastError: string | null;
  lastInvocationId: string | null;
  /** Why a delivery was skipped: `depth_limit`, `worker_disabled`, `worker_not_deployed`, `worker_not_found`. */
  reason: string | null;
  /**
   * Epoch ms. `queued`: when it is due; `deferred`: since when it waits; `in_flight`: when the claim lapses
   * and another run may take it over.
   */
  dueAt: number | null;
  createdAt: string;
  updatedAt: string;
}

/** What `onEvent` receives. */
export interface EventInput {
  id: string;
  type: string;
  position: number;
  data: unknown;
  metadata: { timestamp: string; source: string; correlationId: string; causationId: string | null };
}

export interface InvocationSummary {
  id: string;
  outcome: string;
  error?: { name?: string; message: string } | null;
}

export interface SubscriberLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

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

export interface SubscriberStatus {
  state: SubscriberState;
  /** Every event up to this `$all` position is settled (the stored checkpoint). */
  position: number;
  /** The last event received from the subscription. */
  received: number;
  pendingEvents: number;
  runningDeliveries: number;
  queuedInMemory: number;
  delivered: { succeeded: number; failed: number; retried: number; skipped: number; deferred: number };
  lastError: string | null;
  lastErrorAt: string | null;
}

interface PendingEvent {
  position: number;
  outstanding: number;
  done: boolean;
}

interface Job {
  id: string;
  workerId: string;
  projectId: string;
  eventId: string;
  position: number;
  /** The event; read again from the store for deliveries taken from the durable queue. */
  event: RecordedEvent | null;
  /** Attempts made before this one. */
  attempts: number;
  /** Events waiting for this delivery to settle before the checkpoint may pass them. */
  waiters: PendingEvent[];
  started: boolean;
}

/** One worker's deliveries in this process. */
interface Lane {
  jobs: Job[];
  running: boolean;
  /** The worker has deliveries in the durable queue: new ones are deferred behind them. */
  durable: boolean;
  refilling: Promise<void> | null;
  /** Bumped at each deferral, so a refill that found nothing knows whether it raced one. */
  deferrals: number;
  /** Wakes the lane when its next retry is due (at `wakeAt`). */
  timer: NodeJS.Timeout | null;
  wakeAt: number;
}

const silent: SubscriberLogger = { info: () => {}, warn: () => {}, error: () => {} };
const SKIP_CODES = new Set(['worker_disabled', 'worker_not_deployed', 'worker_not_found']);
const DRAIN_ON_STOP_MS = 10_000;

export class RuntimeSubscriber {
  readonly #o: Required<Omit<RuntimeSubscriberOptions, 'readModelsAt' | 'logger'>> & {
    readModelsAt: (position: number) => Promise<void>;
    logger: SubscriberLogger;
  };
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
  #pollTimer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;
  #failures = 0;
  readonly #active = new Map<string, Job>();
  readonly #lanes = new Map<string, Lane>();
  readonly #ready: string[] = [];
  #running = 0;
  readonly #runs = new Set<Promise<void>>();
  #lastError: string | null = null;
  #lastErrorAt: string | null = null;
  readonly #delivered = { succeeded: 0, failed: 0, retried: 0, skipped: 0, deferred: 0 };

  constructor(options: RuntimeSubscriberOptions) {
    this.#o = {
      maxAttempts: 5,
      depthLimit: 8,
      retryBaseMs: 1000,
      retryMaxMs: 300_000,
      concurrency: 16,
      maxQueuePerWorker: 100,
      maxPendingEvents: 1000,
      pollMs: 1000,
      claimMs: 120_000,
      resubscribeBackoff: { initialMs: 250, maxMs: 30_000 },
      checkpointIntervalMs: 200,
      ...options,
      readModelsAt: options.readModelsAt ?? (async () => {}),
      logger: options.logger ?? silent,
    };
  }

  /**
   * Starts following `$all` after the stored checkpoint. The first start of an installation begins at the
   * current head: history from before the runtime existed is never fed to workers.
   */
  async start(): Promise<void> {
    this.#state = 'starting';
    const { readStore, eventStore } = this.#o;
    await readStore.ensureIndexes(WORKER_DELIVERIES, [
      { fields: ['status', 'dueAt'] },
      { fields: ['workerId', 'status', 'dueAt'] },
      { fields: ['workerId', 'createdAt'] },
      { fields: ['eventId'] },
    ]);
    let position = await this.#readCheckpoint();
    if (position === null) {
      position = await eventStore.headPosition();
      await this.#writeCheckpoint(position);
    }
    this.#stored = position;
    this.#settled = position;
    this.#subscribe(position);
    await this.#resumeDurableLanes();
    this.#pollTimer = setInterval(() => this.#poll(), this.#o.pollMs);
    this.#pollTimer.unref();
  }

  status(): SubscriberStatus {
    let queued = 0;
    for (const lane of this.#lanes.values()) queued += lane.jobs.filter((j) => !j.started).length;
    return {
      state: this.#state,
      position: this.#stored,
      received: this.#received,
      pendingEvents: this.#pending.size + this.#inbox.length,
      runningDeliveries: this.#running,
      queuedInMemory: queued,
      delivered: { ...this.#delivered },
      lastError: this.#lastError,
      lastErrorAt: this.#lastErrorAt,
    };
  }

  /** Deliveries waiting in the durable queue (retries and deferred ones). */
  backlog(): Promise<number> {
    return this.#o.readStore.collection(WORKER_DELIVERIES).count({ status: { $in: DURABLE } });
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
    this.#poll();
    return this.#polling ?? Promise.resolve();
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
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#retryTimer = this.#checkpointTimer = this.#pollTimer = null;
    this.#inbox = [];
    await this.#matching;
    await this.#polling;
    const waiting: Job[] = [];
    for (const lane of this.#lanes.values()) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = null;
      await lane.refilling;
      waiting.push(...lane.jobs.filter((j) => !j.started));
      lane.jobs = lane.jobs.filter((j) => j.started);
    }
    this.#ready.length = 0;
    const now = this.#o.clock.now();
    for (const job of waiting) {
      this.#active.delete(job.id);
      await this.#deliveries()
        .patch(job.id, { $set: { status: 'deferred', dueAt: now.getTime(), updatedAt: now.toISOString() } })
        .catch(() => {});
    }
    await Promise.race([
      Promise.all([...this.#runs]),
      new Promise((resolve) => setTimeout(resolve, DRAIN_ON_STOP_MS).unref()),
    ]);
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
    const pending: PendingEvent = { position: event.position, outstanding: 0, done: false };
    this.#pending.set(event.position, pending);
    try {
      const projectId = projectOf(event);
      if (projectId === null) return;
      await this.#o.readModelsAt(event.position);
      const workers = await this.#workersFor(event.type, projectId);
      if (workers.length === 0) return;
      const depth = depthOf(event);
      if (depth > this.#o.depthLimit) {
        await this.#skipAll(event, projectId, workers);
        return;
      }
      for (const worker of workers) {
        if (generation !== this.#generation) return;
        await this.#deliver(event, worker, pending);
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

  /** Creates (or finds) the delivery and queues it, unless it is already settled. */
  async #deliver(event: RecordedEvent, worker: WorkerDoc, pending: PendingEvent): Promise<void> {
    const id = `${worker.id}:${event.id}`;
    const active = this.#active.get(id);
    if (active) {
      pending.outstanding++;
      active.waiters.push(pending);
      return;
    }
    const deliveries = this.#deliveries();
    const now = this.#o.clock.now();
    const lane = this.#lanes.get(worker.id);
    const defer = !!lane && (lane.durable || lane.jobs.length >= this.#o.maxQueuePerWorker);
    let attempts = 0;
    const existing = await deliveries.get(id);
    if (existing) {
      // Final, or waiting in the durable queue: settled as far as the checkpoint is concerned.
      if (existing.status !== 'in_flight') return;
      // In flight in no process we know of (this one before a restart): take it over.
      attempts = existing.attempts;
      await deliveries.patch(id, {
        $set: {
          status: defer ? 'deferred' : 'in_flight',
          dueAt: defer ? now.getTime() : now.getTime() + this.#o.claimMs,
          updatedAt: now.toISOString(),
        },
      });
    } else {
      try {
        await deliveries.insert({
          id,
          workerId: worker.id,
          projectId: worker.projectId,
          eventId: event.id,
          eventType: event.type,
          position: event.position,
          status: defer ? 'deferred' : 'in_flight',
          attempts: 0,
          lastError: null,
          lastInvocationId: null,
          reason: null,
          dueAt: defer ? now.getTime() : now.getTime() + this.#o.claimMs,
          createdAt: now.toISOString(),
          updatedAt: now.toISOString(),
        });
      } catch (err) {
        if (err instanceof DuplicateKeyError) return; // another process created it at the same moment
        throw err;
      }
    }
    if (defer) {
      this.#delivered.deferred++;
      const deferredLane = this.#lane(worker.id);
      deferredLane.durable = true;
      deferredLane.deferrals++;
      this.#refill(worker.id);
      return;
    }
    pending.outstanding++;
    this.#enqueue({
      id,
      workerId: worker.id,
      projectId: worker.projectId,
      eventId: event.id,
      position: event.position,
      event,
      attempts,
      waiters: [pending],
      started: false,
    });
  }

  async #skipAll(event: RecordedEvent, projectId: string, workers: WorkerDoc[]): Promise<void> {
    const depth = depthOf(event);
    const reason = 'depth_limit';
    const message = `event depth ${depth} is over the limit of ${this.#o.depthLimit} (M3M_EVENT_DEPTH_LIMIT): not delivered`;
    this.#o.logger.warn(
      { eventId: event.id, type: event.type, projectId, depth, workers: workers.map((w) => w.id) },
      message,
    );
    const now = this.#o.clock.now().toISOString();
    for (const worker of workers) {
      try {
        await this.#deliveries().insert({
          id: `${worker.id}:${event.id}`,
          workerId: worker.id,
          projectId,
          eventId: event.id,
          eventType: event.type,
          position: event.position,
          status: 'skipped',
          attempts: 0,
          lastError: message,
          lastInvocationId: null,
          reason,
          dueAt: null,
          createdAt: now,
          updatedAt: now,
        });
        this.#delivered.skipped++;
      } catch (err) {
        if (!(err instanceof DuplicateKeyError)) throw err;
      }
    }
  }

  // ── running deliveries ────────────────────────────────────────────────────────────────────────────────

  #lane(workerId: string): Lane {
    let lane = this.#lanes.get(workerId);
    if (!lane) {
      lane = {
        jobs: [],
        running: false,
        durable: false,
        refilling: null,
        deferrals: 0,
        timer: null,
        wakeAt: 0,
      };
      this.#lanes.set(workerId, lane);
    }
    return lane;
  }

  /** Forgets a lane with nothing left to do. */
  #dropIfIdle(workerId: string, lane: Lane): void {
    if (lane.jobs.length === 0 && !lane.running && !lane.durable && !lane.refilling && !lane.timer) {
      this.#lanes.delete(workerId);
    }
  }

  #enqueue(job: Job): void {
    const twin = this.#active.get(job.id);
    if (twin) {
      // Found twice at once (a replayed event and the durable queue): one run settles both.
      twin.waiters.push(...job.waiters);
      return;
    }
    this.#active.set(job.id, job);
    const lane = this.#lane(job.workerId);
    lane.jobs.push(job);
    if (!lane.running && !this.#ready.includes(job.workerId)) this.#ready.push(job.workerId);
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#o.concurrency && this.#ready.length > 0) {
      const workerId = this.#ready.shift()!;
      const lane = this.#lanes.get(workerId);
      const job = lane?.jobs[0];
      if (!lane || !job || lane.running) continue;
      lane.running = true;
      job.started = true;
      this.#running++;
      const run = this.#run(job).finally(() => {
        this.#runs.delete(run);
        this.#running--;
        lane.jobs.shift();
        lane.running = false;
        if (lane.jobs.length > 0) this.#ready.push(workerId);
        if (lane.durable && lane.jobs.length <= this.#o.maxQueuePerWorker / 2) this.#refill(workerId);
        this.#dropIfIdle(workerId, lane);
        this.#pump();
      });
      this.#runs.add(run);
    }
  }

  async #run(job: Job): Promise<void> {
    const attempt = job.attempts + 1;
    let update: Partial<DeliveryDoc>;
    try {
      const event = job.event ?? (await this.#readEvent(job));
      if (!event) {
        update = {
          status: 'skipped',
          reason: 'event_not_found',
          lastError: 'the event is no longer in the store',
        };
      } else {
        const invocation = await this.#o.invoke({
          workerId: job.workerId,
          projectId: job.projectId,
          trigger: { kind: 'event', eventId: event.id },
          handler: 'onEvent',
          input: eventInput(event),
          eventDepth: depthOf(event),
          correlationId: event.metadata.correlationId,
        });
        update =
          invocation.outcome === 'ok'
            ? { status: 'succeeded', attempts: attempt, lastError: null, lastInvocationId: invocation.id }
            : this.#failure(
                attempt,
                invocation.error?.message ?? invocation.outcome,
                invocation.id,
                invocation.outcome,
              );
      }
    } catch (err) {
      if (err instanceof ApplicationError && SKIP_CODES.has(err.code)) {
        update = { status: 'skipped', reason: err.code, lastError: err.message };
      } else {
        update = this.#failure(attempt, err instanceof Error ? err.message : String(err), null, 'error');
      }
    }
    const now = this.#o.clock.now();
    if (update.status === 'succeeded') this.#delivered.succeeded++;
    else if (update.status === 'failed') this.#delivered.failed++;
    else if (update.status === 'skipped') this.#delivered.skipped++;
    else this.#delivered.retried++;
    if (update.status === 'failed') {
      this.#o.logger.warn(
        { workerId: job.workerId, eventId: job.eventId, attempts: attempt, error: update.lastError },
        'event delivery failed for good',
      );
    }
    try {
      await this.#deliveries().patch(job.id, {
        $set: { dueAt: null, ...update, updatedAt: now.toISOString() },
      });
      if (update.status === 'queued') {
        const lane = this.#lane(job.workerId);
        lane.durable = true;
        this.#wakeAt(job.workerId, lane, update.dueAt!);
      }
    } catch (err) {
      // The delivery stays `in_flight` with its claim: the poll takes it over when the claim lapses.
      this.#o.logger.error({ err, deliveryId: job.id }, 'could not record an event delivery');
    }
    this.#active.delete(job.id);
    for (const waiter of job.waiters) {
      waiter.outstanding--;
      if (waiter.outstanding === 0) this.#settle(waiter);
    }
  }

  #failure(
    attempt: number,
    message: string,
    invocationId: string | null,
    outcome: string,
  ): Partial<DeliveryDoc> {
    const lastError = `${outcome === 'error' ? '' : `${outcome}: `}${message}`.slice(0, 2000);
    if (attempt >= this.#o.maxAttempts) {
      return { status: 'failed', attempts: attempt, lastError, lastInvocationId: invocationId };
    }
    const base = Math.min(this.#o.retryMaxMs, this.#o.retryBaseMs * 2 ** (attempt - 1));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    return {
      status: 'queued',
      attempts: attempt,
      lastError,
      lastInvocationId: invocationId,
      dueAt: this.#o.clock.now().getTime() + delay,
    };
  }

  async #readEvent(job: Job): Promise<RecordedEvent | null> {
    const [event] = await this.#o.eventStore.readAll({ fromPosition: job.position - 1, limit: 1 });
    return event && event.id === job.eventId ? event : null;
  }

  // ── the durable queue ─────────────────────────────────────────────────────────────────────────────────

  /** Arms the lane's timer for its next due retry (the earliest wins). */
  #wakeAt(workerId: string, lane: Lane, dueAt: number): void {
    if (this.#isStopped()) return;
    const delay = Math.max(0, dueAt - this.#o.clock.now().getTime());
    if (lane.timer) {
      if (lane.wakeAt <= dueAt) return;
      clearTimeout(lane.timer);
    }
    lane.wakeAt = dueAt;
    lane.timer = setTimeout(() => {
      lane.timer = null;
      this.#refill(workerId);
    }, delay);
    lane.timer.unref();
  }

  /** Moves the worker's due durable deliveries (oldest first) into its lane, as far as there is room. */
  #refill(workerId: string): void {
    const lane = this.#lane(workerId);
    if (lane.refilling || this.#isStopped()) return;
    lane.refilling = this.#refillOnce(workerId, lane)
      .catch((err: unknown) => {
        this.#o.logger.error({ err, workerId }, 'runtime subscriber could not read its durable queue');
        this.#wakeAt(workerId, lane, this.#o.clock.now().getTime() + this.#o.pollMs);
      })
      .finally(() => {
        lane.refilling = null;
        this.#dropIfIdle(workerId, lane);
      });
  }

  async #refillOnce(workerId: string, lane: Lane): Promise<void> {
    const room = this.#o.maxQueuePerWorker - lane.jobs.length;
    if (room <= 0) return;
    const deferrals = lane.deferrals;
    const now = this.#o.clock.now().getTime();
    const due = await this.#deliveries().find(
      { workerId, status: { $in: DURABLE }, dueAt: { $lte: now } },
      { sort: { dueAt: 1, position: 1 }, limit: room },
    );
    const claimed = await this.#claim(due.items);
    for (const doc of claimed) {
      if (this.#isStopped()) return;
      this.#enqueue(jobOf(doc));
    }
    if (due.items.length === room) return; // full again: the lane refills when it drains
    const [next] = (
      await this.#deliveries().find({ workerId, status: { $in: DURABLE } }, { sort: { dueAt: 1 }, limit: 1 })
    ).items;
    // Due but not claimed (changed meanwhile) or a deferral that raced this read: look again shortly.
    const soon = now + Math.min(this.#o.pollMs, 100);
    if (next) this.#wakeAt(workerId, lane, Math.max(next.dueAt ?? now, soon));
    else if (lane.deferrals === deferrals) lane.durable = false;
    else this.#wakeAt(workerId, lane, soon);
  }

  /** Claims (in one transaction) the durable deliveries nobody changed since they were read. */
  async #claim(docs: readonly DeliveryDoc[]): Promise<DeliveryDoc[]> {
    if (docs.length === 0) return [];
    return this.#o.readStore.transaction(async (session) => {
      const c = session.collection<DeliveryDoc>(WORKER_DELIVERIES);
      const at = this.#o.clock.now();
      const claimed: DeliveryDoc[] = [];
      for (const doc of docs) {
        if (this.#active.has(doc.id)) continue;
        const current = await c.get(doc.id);
        if (!current || current.status !== doc.status || current.dueAt !== doc.dueAt) continue;
        await c.patch(doc.id, {
          $set: { status: 'in_flight', dueAt: at.getTime() + this.#o.claimMs, updatedAt: at.toISOString() },
        });
        claimed.push(current);
      }
      return claimed;
    });
  }

  /** At start: the lanes of workers with durable deliveries (from before a restart) refill. */
  async #resumeDurableLanes(): Promise<void> {
    const workers = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await this.#deliveries().find({ status: { $in: DURABLE } }, { limit: 1000, cursor });
      for (const doc of page.items) workers.add(doc.workerId);
      cursor = page.nextCursor;
    } while (cursor);
    for (const workerId of workers) {
      this.#lane(workerId).durable = true;
      this.#refill(workerId);
    }
  }

  #poll(): void {
    if (this.#polling || this.#isStopped()) return;
    this.#polling = this.#pollOnce()
      .catch((err: unknown) => {
        this.#lastError = err instanceof Error ? err.message : String(err);
        this.#lastErrorAt = new Date().toISOString();
        this.#o.logger.error({ err }, 'runtime subscriber could not read its durable queue');
      })
      .finally(() => {
        this.#polling = null;
      });
  }

  /**
   * Recovers what a dead process left behind: `in_flight` claims that lapsed go back to the durable queue,
   * and workers with durable deliveries nobody picked up for `claimMs` get their lane refilled here.
   */
  async #pollOnce(): Promise<void> {
    const now = this.#o.clock.now().getTime();
    const deliveries = this.#deliveries();
    const lapsed = await deliveries.find({ status: 'in_flight', dueAt: { $lte: now } }, { limit: 100 });
    const stale = await deliveries.find(
      { status: { $in: DURABLE }, dueAt: { $lte: now - this.#o.claimMs } },
      { limit: 100 },
    );
    const workers = new Set(stale.items.map((d) => d.workerId));
    const released = await this.#o.readStore.transaction(async (session) => {
      const c = session.collection<DeliveryDoc>(WORKER_DELIVERIES);
      const ids: DeliveryDoc[] = [];
      for (const doc of lapsed.items) {
        if (this.#active.has(doc.id)) continue;
        const current = await c.get(doc.id);
        if (current?.status !== 'in_flight' || current.dueAt !== doc.dueAt) continue;
        await c.patch(doc.id, {
          $set: { status: 'deferred', dueAt: now, updatedAt: new Date(now).toISOString() },
        });
        ids.push(current);
      }
      return ids;
    });
    for (const doc of released) workers.add(doc.workerId);
    for (const workerId of workers) {
      if (this.#isStopped()) return;
      this.#lane(workerId).durable = true;
      this.#refill(workerId);
    }
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
    this.#lastError = err instanceof Error ? err.message : String(err);
    this.#lastErrorAt = new Date().toISOString();
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

  #isStopped(): boolean {
    return this.#state === 'stopped';
  }

  #deliveries() {
    return this.#o.readStore.collection<DeliveryDoc>(WORKER_DELIVERIES);
  }
}

function jobOf(doc: DeliveryDoc): Job {
  return {
    id: doc.id,
    workerId: doc.workerId,
    projectId: doc.projectId,
    eventId: doc.eventId,
    position: doc.position,
    event: null,
    attempts: doc.attempts,
    waiters: [],
    started: false,
  };
}

/** The project an event belongs to: `data.projectId` (built-in events and custom ones carry it). */
function projectOf(event: RecordedEvent): string | null {
  const data = event.data as { projectId?: unknown } | null;
  return data && typeof data === 'object' && typeof data.projectId === 'string' ? data.projectId : null;
}

/** A custom event's `data.depth`; 0 for built-in events. */
function depthOf(event: RecordedEvent): number {
  const depth = (event.data as { depth?: unknown } | null)?.depth;
  return typeof depth === 'number' && Number.isSafeInteger(depth) && depth > 0 ? depth : 0;
}

function eventInput(event: RecordedEvent): EventInput {
  return {
    id: event.id,
    type: event.type,
    position: event.position,
    data: event.data,
    metadata: {
      timestamp: event.metadata.timestamp,
      source: event.metadata.source,
      correlationId: event.metadata.correlationId,
      causationId: event.metadata.causationId,
    },
  };
}
