import type { Subscription } from 'rxjs';
import { ApplicationError } from '../errors.ts';
import type { Clock } from '../ports/clock.ts';
import type { EventStore, RecordedEvent } from '../ports/eventStore.ts';
import { findAll } from '../ports/findAll.ts';
import { type Doc, DuplicateKeyError, type ReadStore } from '../ports/readStore.ts';
import type { InvokeWorkerRequest } from './invokeWorker.ts';
import { WORKER_EVENT_TRIGGERS, WORKERS, type WorkerDoc, type WorkerEventTriggerDoc } from './readModel.ts';

/**
 * The event trigger (DESIGN §4): follows `$all` from its own checkpoint and calls `onEvent` of every enabled,
 * deployed worker of the event's project that lists the event's type, at least once per (worker, event).
 * See docs/adr/0009-triggers-and-plugins.md for the scheme; in short:
 *
 * - A delivery is the document `worker_deliveries/<workerId>:<eventId>`: the event id is the idempotency key.
 *   `in_flight` (being invoked, claimed until `dueAt`), `queued` (waiting in the durable queue until
 *   `dueAt`: a retry after a failure, or a delivery deferred because its worker's in-memory queue was full),
 *   and the final `succeeded`, `failed` (after `maxAttempts`) and `skipped` (depth limit; worker disabled,
 *   undeployed or deleted meanwhile). A final delivery is never invoked again.
 * - Each worker has its own in-memory queue, run one delivery at a time (so a worker sees its events in
 *   order unless one is retried), and at most `concurrency` deliveries run at once over all workers: a slow
 *   or failing worker delays only itself.
 * - The checkpoint advances past an event once each of its deliveries is settled: final, or `queued` in the
 *   durable queue. The durable queue is polled (`pollMs`) and also takes over `in_flight` deliveries whose
 *   claim has lapsed (their process died). A crash replays at most the events after the checkpoint; their
 *   final deliveries are skipped, the others invoked again.
 * - Custom events deeper than `depthLimit` are not delivered (recorded `skipped`, reason `depth_limit`).
 * - A failing subscription (or read) is retried from the stored checkpoint with backoff; the state, lag and
 *   last error are on `/health`.
 */

export const RUNTIME_CHECKPOINT = 'm3m_runtime_checkpoint';
export const WORKER_DELIVERIES = 'worker_deliveries';
const CHECKPOINT_ID = 'checkpoint';

export type DeliveryStatus = 'in_flight' | 'queued' | 'succeeded' | 'failed' | 'skipped';

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
  /** Epoch ms. `queued`: when it is due; `in_flight`: when the claim lapses and another run may take it. */
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
  /** Deliveries held in memory per worker; more go to the durable queue. Default 100. */
  maxQueuePerWorker?: number;
  /** Events received and not yet settled before the subscription pauses. Default 1000. */
  maxPendingEvents?: number;
  /** How often the durable queue is polled. Default 1000. */
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

interface WorkerQueue {
  jobs: Job[];
  running: boolean;
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
  readonly #queues = new Map<string, WorkerQueue>();
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
    this.#pollTimer = setInterval(() => this.#poll(), this.#o.pollMs);
    this.#pollTimer.unref();
  }

  status(): SubscriberStatus {
    let queued = 0;
    for (const q of this.#queues.values()) queued += q.jobs.filter((j) => !j.started).length;
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
    return this.#o.readStore.collection(WORKER_DELIVERIES).count({ status: 'queued' });
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

  /** Checks the durable queue now (tests; the timer does it every `pollMs`). */
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
    for (const queue of this.#queues.values()) waiting.push(...queue.jobs.filter((j) => !j.started));
    for (const queue of this.#queues.values()) queue.jobs = queue.jobs.filter((j) => j.started);
    this.#ready.length = 0;
    const now = this.#o.clock.now();
    for (const job of waiting) {
      this.#active.delete(job.id);
      await this.#deliveries()
        .patch(job.id, { $set: { status: 'queued', dueAt: now.getTime(), updatedAt: now.toISOString() } })
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
    const defer = this.#queueLength(worker.id) >= this.#o.maxQueuePerWorker;
    let attempts = 0;
    const existing = await deliveries.get(id);
    if (existing) {
      // Final, or waiting in the durable queue: settled as far as the checkpoint is concerned.
      if (existing.status !== 'in_flight') return;
      // In flight in no process we know of (this one before a restart): take it over.
      attempts = existing.attempts;
      await deliveries.patch(id, {
        $set: {
          status: defer ? 'queued' : 'in_flight',
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
          status: defer ? 'queued' : 'in_flight',
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

  #queue(workerId: string): WorkerQueue {
    let queue = this.#queues.get(workerId);
    if (!queue) {
      queue = { jobs: [], running: false };
      this.#queues.set(workerId, queue);
    }
    return queue;
  }

  #queueLength(workerId: string): number {
    return this.#queues.get(workerId)?.jobs.length ?? 0;
  }

  #enqueue(job: Job): void {
    const twin = this.#active.get(job.id);
    if (twin) {
      // Found twice at once (a replayed event and the durable queue): one run settles both.
      twin.waiters.push(...job.waiters);
      return;
    }
    this.#active.set(job.id, job);
    const queue = this.#queue(job.workerId);
    queue.jobs.push(job);
    if (!queue.running && !this.#ready.includes(job.workerId)) this.#ready.push(job.workerId);
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#o.concurrency && this.#ready.length > 0) {
      const workerId = this.#ready.shift()!;
      const queue = this.#queues.get(workerId);
      const job = queue?.jobs[0];
      if (!queue || !job || queue.running) continue;
      queue.running = true;
      job.started = true;
      this.#running++;
      const run = this.#run(job).finally(() => {
        this.#runs.delete(run);
        this.#running--;
        queue.jobs.shift();
        queue.running = false;
        if (queue.jobs.length > 0) this.#ready.push(workerId);
        else this.#queues.delete(workerId);
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
    } catch (err) {
      // The delivery stays `in_flight` with its claim: the durable queue takes it over when the claim lapses.
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

  #poll(): void {
    if (this.#polling || this.#state === 'stopped') return;
    this.#polling = this.#pollOnce()
      .catch((err: unknown) => {
        this.#lastError = err instanceof Error ? err.message : String(err);
        this.#lastErrorAt = new Date().toISOString();
        this.#o.logger.error({ err }, 'runtime subscriber could not read its retry queue');
      })
      .finally(() => {
        this.#polling = null;
      });
  }

  async #pollOnce(): Promise<void> {
    const now = this.#o.clock.now().getTime();
    const deliveries = this.#deliveries();
    const due: DeliveryDoc[] = [];
    for (const status of ['queued', 'in_flight'] as const) {
      const page = await deliveries.find(
        { status, dueAt: { $lte: now } },
        { sort: { dueAt: 1 }, limit: 100 },
      );
      due.push(...page.items);
    }
    for (const doc of due) {
      if (this.#state === 'stopped') return;
      if (this.#active.has(doc.id)) continue;
      if (this.#queueLength(doc.workerId) >= this.#o.maxQueuePerWorker) continue;
      const claimed = await this.#o.readStore.transaction(async (session) => {
        const c = session.collection<DeliveryDoc>(WORKER_DELIVERIES);
        const current = await c.get(doc.id);
        if (!current || current.status !== doc.status || current.dueAt !== doc.dueAt) return null;
        const at = this.#o.clock.now();
        await c.patch(doc.id, {
          $set: { status: 'in_flight', dueAt: at.getTime() + this.#o.claimMs, updatedAt: at.toISOString() },
        });
        return current;
      });
      if (!claimed || this.#isStopped()) continue;
      this.#enqueue({
        id: claimed.id,
        workerId: claimed.workerId,
        projectId: claimed.projectId,
        eventId: claimed.eventId,
        position: claimed.position,
        event: null,
        attempts: claimed.attempts,
        waiters: [],
        started: false,
      });
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
