import { randomUUID } from 'node:crypto';
import { DEFAULT_MAX_CONCURRENCY } from '../../domain/worker.ts';
import { ApplicationError } from '../errors.ts';
import type { Clock } from '../ports/clock.ts';
import type { EventStore, RecordedEvent } from '../ports/eventStore.ts';
import { DuplicateKeyError, type ReadStore, type ReadStoreSession } from '../ports/readStore.ts';
import { WORKERS, type WorkerDoc } from '../workers/readModel.ts';
import {
  type DeliveryDoc,
  DURABLE,
  deliveryId,
  depthOf,
  eventInput,
  WORKER_DELIVERIES,
} from './deliveries.ts';
import { addEventRefs } from './deliveryEventRefs.ts';
import type { InvokeWorkerRequest } from './invokeWorker.ts';
import { RetryLaterError } from './workerGuard.ts';
import { batchedWrite, drainWrites } from './writeBatch.ts';

/**
 * Runs event deliveries (see `deliveries.ts`), at least once each. Each worker has its own lane: an
 * in-memory queue of at most `maxQueuePerWorker` deliveries, run one at a time (so a worker sees its events in
 * order unless one is retried) or, for a worker whose `limits.concurrency` is more, that many at once in no
 * promised order; at most `concurrency` deliveries run over all lanes. Beyond that a
 * worker's deliveries are deferred to the durable queue, and its lane refills from there (oldest first) as
 * it drains; its retries wait there for their time. So a slow or failing worker delays only itself.
 *
 * Several processes may share the store (docs/adr/0020-several-processes.md). An `in_flight` delivery is claimed
 * by its owner, a process's boot id (`ClaimOwners`, `../processLease.ts`): it is never taken over while that
 * process lives, and at once when it is gone (a poll every `pollMs`, and at start). Deliveries refilled from
 * the durable queue are claimed only when they are about to run, one by one, so a process that dies strands
 * nothing beyond what it was running and the deliveries it had just been handed. Durable deliveries nobody
 * picked up for `claimMs` are refilled by the poll too.
 *
 * Whoever hands a delivery in (the runtime subscriber) passes a `Waiter`: it is told once every delivery it
 * waits for is settled, i.e. final or in the durable queue.
 */

export interface InvocationSummary {
  id: string;
  outcome: string;
  error?: { name?: string; message: string } | null;
}

export interface DeliveryLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Something that waits for deliveries to settle: `settled()` is called when `outstanding` reaches 0. */
export interface Waiter {
  outstanding: number;
  settled(): void;
}

/** Who owns claims: this process's boot id, and whether another owner is gone (`ProcessLease` implements it). */
export interface ClaimOwners {
  readonly bootId: string;
  isGone(owner: string): Promise<boolean>;
  /** Registered processes that are gone: their claims are taken over. */
  goneOwners(): Promise<string[]>;
  /** Forgets a gone process once none of its claims is left. */
  forget?(owner: string): Promise<void>;
}

/** One process alone on its store (tools, tests): every other owner is a predecessor, gone. */
export function soloOwner(): ClaimOwners {
  const bootId = randomUUID();
  return { bootId, isGone: async (owner) => owner !== bootId, goneOwners: async () => [] };
}

export interface DeliveryQueueOptions {
  eventStore: EventStore;
  /** Whose claims are whose. Default: `soloOwner()`. */
  owners?: ClaimOwners;
  readStore: ReadStore;
  clock: Clock;
  invoke(request: InvokeWorkerRequest): Promise<InvocationSummary>;
  logger: DeliveryLogger;
  /** Invocations of one worker for one event before it is recorded `failed`. */
  maxAttempts: number;
  /** First retry delay; doubles per attempt (±20 % jitter) up to `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Deliveries running at once, over all workers. */
  concurrency: number;
  /** Deliveries held in memory per worker; more are deferred to the durable queue. */
  maxQueuePerWorker: number;
  /** How often lapsed claims and forgotten durable deliveries are looked for. */
  pollMs: number;
  /**
   * How long a durable delivery may wait unnoticed before the poll refills its lane, and when an `in_flight`
   * claim without an owner (recorded by an older m3m) lapses. Claims with an owner hold while it lives.
   */
  claimMs: number;
  /** A failure of the background poll, for the owner's status. */
  reportError(err: unknown): void;
  /**
   * Whether a project may start another invocation now (its fair share, issue 12, item 6): lanes of a project at
   * its limit are passed over, so its waiting deliveries never hold the slots other projects need. Default: yes.
   */
  hasRoom?(projectId: string): boolean;
  /** Deliveries of one project running at once (its fair share). Default: no cap beyond `concurrency`. */
  maxPerProject?: number;
  /** Deliveries of a lane from the durable queue claimed together, in one transaction. Default 32. */
  claimBatch?: number;
  /** The most deliveries of one worker running at once, whatever it asks (`M3M_WORKER_MAX_CONCURRENCY`). */
  maxWorkerConcurrency?: number;
  /**
   * Deliveries of an in-order lane (concurrency 1) handed to `invoke` while the one before them still runs, each
   * with a `turn` (`InvokeWorkerRequest.turn`): `invoke` must give them to the sandbox in their turn, and the
   * sandbox run a worker's invocations one after another in the order it gets them (`m3m serve`'s does). The lane
   * then needs no round trip to the runtime process between two deliveries
   * (docs/adr/0032-bursts-to-one-worker-second-pass.md). Default 0: the next one is handed in once the previous one
   * has been answered.
   */
  inOrderAhead?: number;
}

/** One event for one worker, as the runtime subscriber hands it in. */
export interface DeliveryRequest {
  event: RecordedEvent;
  worker: WorkerDoc;
  waiter: Waiter;
}

export interface DeliveryStats {
  runningDeliveries: number;
  queuedInMemory: number;
  delivered: { succeeded: number; failed: number; retried: number; skipped: number; deferred: number };
}

/** A delivery this process claimed as it recorded it: runs with the event in hand. */
function claimedJob(
  id: string,
  worker: { id: string; projectId: string },
  event: RecordedEvent,
  attempts: number,
  waiter: Waiter,
): Job {
  return {
    id,
    workerId: worker.id,
    projectId: worker.projectId,
    eventId: event.id,
    ref: { streamId: event.streamId, revision: event.revision },
    event,
    attempts,
    waiters: [waiter],
    started: false,
    lost: false,
    unclaimed: null,
  };
}

interface Job {
  id: string;
  workerId: string;
  projectId: string;
  eventId: string;
  /** Where the event is read again (deliveries taken from the durable queue); null for one recorded without. */
  ref: { streamId: string; revision: number } | null;
  /** The event; read again from the store for deliveries taken from the durable queue. */
  event: RecordedEvent | null;
  /** Attempts made before this one. */
  attempts: number;
  /** Who waits for this delivery to settle (the checkpoint may not pass their events before). */
  waiters: Waiter[];
  started: boolean;
  /** Claimed by another process first (or changed) while it waited in the lane: dropped when its turn comes. */
  lost: boolean;
  /**
   * Null: claimed by this process (`in_flight`, owner us). Otherwise the durable delivery as it was read: it is
   * claimed when it is about to run, if nobody changed it meanwhile.
   */
  unclaimed: { status: DeliveryDoc['status']; dueAt: number | null } | null;
}

/** One worker's deliveries in this process. */
interface Lane {
  jobs: Job[];
  /** Deliveries of this lane running now. */
  running: number;
  /** How many may run at once (the worker's `concurrency`, 1: in order). */
  concurrency: number;
  /** In order: resolves once the lane's latest delivery was handed to the sandbox (or will never be). */
  turn: Promise<void>;
  /** The claim of the lane's next deliveries from the durable queue, while it is written. */
  claiming: Promise<void> | null;
  /** The worker has deliveries in the durable queue: new ones are deferred behind them. */
  durable: boolean;
  refilling: Promise<void> | null;
  /** Bumped at each deferral, so a refill that found nothing knows whether it raced one. */
  deferrals: number;
  /** Wakes the lane when its next retry is due (at `wakeAt`). */
  timer: NodeJS.Timeout | null;
  wakeAt: number;
}

const SKIP_CODES = new Set(['worker_disabled', 'worker_not_deployed', 'worker_not_found']);
const DRAIN_ON_STOP_MS = 10_000;
/** Documents read or written per statement group in one transaction (a `$in` list, a batch of records). */
const BATCH = 500;
/** Events of deferred deliveries held in memory (see `DeliveryQueue.#deferredEvents`). */
const DEFERRED_EVENTS_HELD = 10_000;

export class DeliveryQueue {
  readonly #o: DeliveryQueueOptions;
  readonly #owners: ClaimOwners;
  #stopped = false;
  #pollTimer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;
  readonly #active = new Map<string, Job>();
  readonly #lanes = new Map<string, Lane>();
  readonly #ready: string[] = [];
  #running = 0;
  /** Deliveries running per project. */
  readonly #byProject = new Map<string, number>();
  readonly #runs = new Set<Promise<void>>();
  readonly #delivered = { succeeded: 0, failed: 0, retried: 0, skipped: 0, deferred: 0 };
  /**
   * The events of deliveries this process deferred to the durable queue (a burst beyond a lane's room), by
   * delivery id: the lane refills them with the event in hand instead of reading each again from the event store.
   * Events never change, so a held one is the stored one. At most `DEFERRED_EVENTS_HELD` (the oldest go first);
   * one not held is read again.
   */
  readonly #deferredEvents = new Map<string, RecordedEvent>();

  constructor(options: DeliveryQueueOptions) {
    this.#o = options;
    this.#owners = options.owners ?? soloOwner();
  }

  /** Prepares the collection (and deliveries recorded by an older m3m). */
  async start(): Promise<void> {
    await this.#o.readStore.ensureIndexes(WORKER_DELIVERIES, [
      { fields: ['status', 'dueAt'] },
      { fields: ['workerId', 'status', 'dueAt'] },
      // A lane refills in order from this one without sorting its whole backlog (one status at a time).
      { fields: ['workerId', 'status', 'dueAt', 'position'] },
      { fields: ['workerId', 'createdAt'] },
      { fields: ['eventId'] },
      { fields: ['status', 'owner'] },
    ]);
    await addEventRefs(this.#o.eventStore, this.#o.readStore, this.#o.logger);
  }

  /** At start, once the subscription follows: lanes resume and the poll begins. */
  async resume(): Promise<void> {
    // Claims of processes that are gone (this one before a SIGKILL) are taken over now, not after a lapse.
    await this.pollNow();
    await this.#resumeDurableLanes();
    this.#pollTimer = setInterval(() => {
      this.#poll();
      this.#pump(); // lanes passed over while their project was full (its HTTP runs end without telling us)
    }, this.#o.pollMs);
    this.#pollTimer.unref();
  }

  stats(): DeliveryStats {
    let queued = 0;
    for (const lane of this.#lanes.values()) queued += lane.jobs.filter((j) => !j.started).length;
    return { runningDeliveries: this.#running, queuedInMemory: queued, delivered: { ...this.#delivered } };
  }

  /** Deliveries waiting in the durable queue (retries and deferred ones). */
  backlog(): Promise<number> {
    return this.#deliveries().count({ status: { $in: DURABLE } });
  }

  /** Looks for lapsed claims and forgotten durable deliveries now (tests; the timer does it every `pollMs`). */
  pollNow(): Promise<void> {
    this.#poll();
    return this.#polling ?? Promise.resolve();
  }

  /**
   * Stops at once taking new work from the durable queue; once `handingIn` (deliveries still being handed
   * in) has ended, hands deliveries that had not started back to the durable queue and lets running
   * invocations finish (bounded).
   */
  async stop(handingIn: Promise<unknown> = Promise.resolve()): Promise<void> {
    this.#stopped = true;
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
    await handingIn;
    await this.#polling;
    const waiting: Job[] = [];
    for (const lane of this.#lanes.values()) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = null;
      await lane.refilling;
      await lane.claiming;
      waiting.push(...lane.jobs.filter((j) => !j.started));
      lane.jobs = lane.jobs.filter((j) => j.started);
    }
    this.#ready.length = 0;
    this.#deferredEvents.clear();
    const now = this.#o.clock.now();
    const handBack: string[] = [];
    for (const job of waiting) {
      this.#active.delete(job.id);
      if (job.unclaimed || job.lost) continue; // still in the durable queue, as it was
      handBack.push(job.id);
    }
    if (handBack.length > 0) {
      try {
        // Only what this process still owns: a claim taken over meanwhile is its new owner's.
        await this.#o.readStore.transaction(async (session) => {
          for (const id of handBack) {
            await this.#writeOwned(session, id, {
              status: 'deferred',
              dueAt: now.getTime(),
              owner: null,
              updatedAt: now.toISOString(),
            });
          }
        });
      } catch (err) {
        // Left `in_flight` under this process: taken over as soon as its lease is gone.
        this.#o.logger.error({ err, deliveries: handBack.length }, 'could not hand event deliveries back');
      }
    }
    await Promise.race([
      Promise.all([...this.#runs]),
      new Promise((resolve) => setTimeout(resolve, DRAIN_ON_STOP_MS).unref()),
    ]);
    await drainWrites(this.#o.readStore);
  }

  /**
   * Creates (or finds) the deliveries of a page of events, in order, in one read-store transaction, and queues
   * them. Deliveries another process created at the same moment, or that are already settled, are left to it;
   * one claimed by a process that is gone is taken over.
   */
  async deliverAll(requests: DeliveryRequest[]): Promise<void> {
    const fresh: (DeliveryRequest & { id: string })[] = [];
    for (const request of requests) {
      const id = deliveryId(request.worker.id, request.event.id);
      const active = this.#active.get(id);
      if (active) {
        request.waiter.outstanding++;
        active.waiters.push(request.waiter);
      } else fresh.push({ ...request, id });
    }
    if (fresh.length === 0) return;
    let recorded: { existing: Map<string, DeliveryDoc>; deferred: Set<string> };
    try {
      recorded = await this.#o.readStore.transaction(async (session) => {
        const c = session.collection<DeliveryDoc>(WORKER_DELIVERIES);
        const existing = new Map<string, DeliveryDoc>();
        for (let i = 0; i < fresh.length; i += BATCH) {
          const ids = fresh.slice(i, i + BATCH).map((r) => r.id);
          for (const doc of (await c.find({ id: { $in: ids } }, { limit: ids.length })).items) {
            existing.set(doc.id, doc);
          }
        }
        const now = this.#o.clock.now();
        const inMemory = new Map<string, number>();
        const durable = new Set<string>();
        const deferred = new Set<string>();
        for (const { id, event, worker } of fresh) {
          if (existing.has(id)) continue;
          const lane = this.#lanes.get(worker.id);
          const held = (lane?.jobs.length ?? 0) + (inMemory.get(worker.id) ?? 0);
          const defer = !!lane?.durable || durable.has(worker.id) || held >= this.#o.maxQueuePerWorker;
          if (defer) {
            durable.add(worker.id);
            deferred.add(id);
          } else inMemory.set(worker.id, (inMemory.get(worker.id) ?? 0) + 1);
          await c.insert(newDelivery(id, event, worker, defer, now, this.#o.claimMs, this.#owners.bootId));
        }
        return { existing, deferred };
      });
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
      // Another process created some of them at the same moment (which aborts the whole transaction on
      // PostgreSQL): one at a time, each on its own.
      for (const { event, worker, waiter } of fresh) await this.deliver(event, worker, waiter);
      return;
    }
    const refill = new Set<string>();
    for (const { id, event, worker, waiter } of fresh) {
      const seen = recorded.existing.get(id);
      if (seen) {
        // Final or durable: settled. In flight: its owner's, or taken over if that one is gone.
        if (seen.status === 'in_flight') await this.deliver(event, worker, waiter);
        continue;
      }
      const lane = this.#lane(worker.id, worker);
      if (recorded.deferred.has(id)) {
        this.#holdEvent(id, event);
        this.#delivered.deferred++;
        lane.durable = true;
        lane.deferrals++;
        refill.add(worker.id);
        continue;
      }
      waiter.outstanding++;
      this.#enqueue(claimedJob(id, worker, event, 0, waiter));
    }
    for (const workerId of refill) this.#refill(workerId);
  }

  /** Creates (or finds) the delivery of `event` to `worker` and queues it, unless it is already settled. */
  async deliver(event: RecordedEvent, worker: WorkerDoc, waiter: Waiter): Promise<void> {
    const id = deliveryId(worker.id, event.id);
    const active = this.#active.get(id);
    if (active) {
      waiter.outstanding++;
      active.waiters.push(waiter);
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
      // Claimed by a process that lives (another one, at the same moment): it settles it, and should it die
      // the poll takes it over. Claimed by one that is gone (this one before a restart): take it over.
      const taken = await this.#takeOver(existing, defer);
      if (!taken) return;
      attempts = taken.attempts;
    } else {
      try {
        await deliveries.insert(
          newDelivery(id, event, worker, defer, now, this.#o.claimMs, this.#owners.bootId),
        );
      } catch (err) {
        if (err instanceof DuplicateKeyError) return; // another process created it at the same moment
        throw err;
      }
    }
    if (defer) {
      this.#holdEvent(id, event);
      this.#delivered.deferred++;
      const deferredLane = this.#lane(worker.id, worker);
      deferredLane.durable = true;
      deferredLane.deferrals++;
      this.#refill(worker.id);
      return;
    }
    waiter.outstanding++;
    this.#lane(worker.id, worker);
    this.#enqueue(claimedJob(id, worker, event, attempts, waiter));
  }

  /**
   * Takes over the `in_flight` claim of a process that is gone, unless it changed meanwhile (compare-and-set in
   * one transaction). Returns the delivery as it was, or null when its owner lives or someone else was faster.
   */
  async #takeOver(seen: DeliveryDoc, defer: boolean): Promise<DeliveryDoc | null> {
    const self = this.#owners.bootId;
    const owner = seen.owner ?? null;
    if (owner === self ? this.#active.has(seen.id) : owner !== null && !(await this.#owners.isGone(owner))) {
      return null;
    }
    return this.#o.readStore.transaction(async (session) => {
      const c = session.collection<DeliveryDoc>(WORKER_DELIVERIES);
      const current = await c.get(seen.id);
      if (
        current?.status !== 'in_flight' ||
        (current.owner ?? null) !== owner ||
        current.dueAt !== seen.dueAt
      ) {
        return null;
      }
      const now = this.#o.clock.now();
      await c.patch(seen.id, {
        $set: {
          status: defer ? 'deferred' : 'in_flight',
          dueAt: defer ? now.getTime() : now.getTime() + this.#o.claimMs,
          owner: defer ? null : self,
          ...(owner !== self ? { takenOverFrom: owner } : {}),
          updatedAt: now.toISOString(),
        },
      });
      return current;
    });
  }

  /** Records the event as `skipped` for each worker, with `reason` and `message`; never invoked. */
  async skip(event: RecordedEvent, workers: WorkerDoc[], reason: string, message: string): Promise<void> {
    const now = this.#o.clock.now().toISOString();
    for (const worker of workers) {
      try {
        await this.#deliveries().insert({
          id: deliveryId(worker.id, event.id),
          workerId: worker.id,
          projectId: worker.projectId,
          eventId: event.id,
          eventType: event.type,
          position: event.position,
          streamId: event.streamId,
          revision: event.revision,
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

  /** The worker's lane; `worker`, when known, says how many of its deliveries may run at once. */
  #lane(workerId: string, worker?: WorkerDoc): Lane {
    let lane = this.#lanes.get(workerId);
    if (!lane) {
      lane = {
        jobs: [],
        running: 0,
        concurrency: 1,
        turn: Promise.resolve(),
        claiming: null,
        durable: false,
        refilling: null,
        deferrals: 0,
        timer: null,
        wakeAt: 0,
      };
      this.#lanes.set(workerId, lane);
    }
    if (worker) lane.concurrency = this.#concurrencyOf(worker);
    return lane;
  }

  /** The worker's `concurrency` (1 unless it set more), within the installation's maximum. */
  #concurrencyOf(worker: WorkerDoc): number {
    const max = this.#o.maxWorkerConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    return Math.max(1, Math.min(worker.limits?.concurrency ?? 1, max));
  }

  /** Forgets a lane with nothing left to do. */
  #dropIfIdle(workerId: string, lane: Lane): void {
    if (
      lane.jobs.length === 0 &&
      lane.running === 0 &&
      !lane.durable &&
      !lane.refilling &&
      !lane.timer &&
      !lane.claiming
    ) {
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
    if (lane.running < this.#slots(lane) && !this.#ready.includes(job.workerId))
      this.#ready.push(job.workerId);
    this.#pump();
  }

  #pump(): void {
    const passedOver: string[] = [];
    while (this.#running < this.#o.concurrency && this.#ready.length > 0) {
      const workerId = this.#ready.shift()!;
      const lane = this.#lanes.get(workerId);
      const job = lane?.jobs.find((j) => !j.started);
      if (!lane || !job || lane.running >= this.#slots(lane)) continue;
      const projectRunning = this.#byProject.get(job.projectId) ?? 0;
      if (
        projectRunning >= (this.#o.maxPerProject ?? Number.POSITIVE_INFINITY) ||
        (this.#o.hasRoom && !this.#o.hasRoom(job.projectId))
      ) {
        passedOver.push(workerId); // its project is at its limit: its turn comes when the project has room
        continue;
      }
      lane.running++;
      job.started = true;
      this.#running++;
      this.#byProject.set(job.projectId, projectRunning + 1);
      // A lane that may run several at once takes its next turn behind the other lanes.
      if (lane.running < this.#slots(lane) && lane.jobs.some((j) => !j.started)) this.#ready.push(workerId);
      const run = this.#run(job, lane, this.#nextTurn(lane)).finally(() => {
        this.#runs.delete(run);
        this.#running--;
        const left = (this.#byProject.get(job.projectId) ?? 1) - 1;
        if (left === 0) this.#byProject.delete(job.projectId);
        else this.#byProject.set(job.projectId, left);
        const at = lane.jobs.indexOf(job);
        if (at >= 0) lane.jobs.splice(at, 1);
        lane.running--;
        if (lane.jobs.some((j) => !j.started) && !this.#ready.includes(workerId)) this.#ready.push(workerId);
        if (lane.durable && lane.jobs.length <= this.#o.maxQueuePerWorker / 2) this.#refill(workerId);
        this.#dropIfIdle(workerId, lane);
        this.#pump();
      });
      this.#runs.add(run);
    }
    this.#ready.unshift(...passedOver);
  }

  /** How many of the lane's deliveries may be handed to `invoke` at once. */
  #slots(lane: Lane): number {
    return lane.concurrency === 1 ? 1 + (this.#o.inOrderAhead ?? 0) : lane.concurrency;
  }

  /** An in-order lane's next turn (see `inOrderAhead`); none for a lane that runs several at once. */
  #nextTurn(lane: Lane): InvokeWorkerRequest['turn'] {
    if (lane.concurrency !== 1 || !this.#o.inOrderAhead) return undefined;
    const ready = lane.turn;
    const { promise, resolve } = Promise.withResolvers<void>();
    lane.turn = promise;
    return { ready, dispatched: () => resolve() };
  }

  /**
   * Invokes the worker and hands the outcome to the next batch of records; resolves once the invocation is over
   * (the lane may start its next delivery), while the waiters are told once the outcome is written.
   */
  async #run(job: Job, lane: Lane, turn: InvokeWorkerRequest['turn']): Promise<void> {
    try {
      await this.#runInTurn(job, lane, turn);
    } finally {
      turn?.dispatched(); // never handed in (lost, skipped, failed before): the next one need not wait
    }
  }

  async #runInTurn(job: Job, lane: Lane, turn: InvokeWorkerRequest['turn']): Promise<void> {
    if (!(await this.#claimed(job, lane))) {
      // Another process claimed it first (or it changed): nothing to do here.
      this.#release(job);
      return;
    }
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
          ...(turn ? { turn } : {}),
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
      if (err instanceof RetryLaterError) {
        // Throttled or suspended: the delivery waits until the worker may run again, without using an attempt.
        update = {
          status: 'queued',
          lastError: `${err.code}: ${err.message}`.slice(0, 2000),
          dueAt: this.#o.clock.now().getTime() + err.retryAfterMs,
        };
      } else if (err instanceof ApplicationError && SKIP_CODES.has(err.code)) {
        update = { status: 'skipped', reason: err.code, lastError: err.message };
      } else {
        update = this.#failure(attempt, err instanceof Error ? err.message : String(err), null, 'error');
      }
    }
    const now = this.#o.clock.now();
    const recorded = this.#record(job, { dueAt: null, ...update, updatedAt: now.toISOString() }).then(
      (written) => {
        if (written === 'written') {
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
          if (update.status === 'queued') {
            const retryLane = this.#lane(job.workerId);
            retryLane.durable = true;
            this.#wakeAt(job.workerId, retryLane, update.dueAt!);
          }
        }
        // Not written: the delivery stays `in_flight` with its claim, and the poll takes it over. Lost: its new
        // owner runs it.
        this.#release(job);
      },
    );
    this.#runs.add(recorded);
    void recorded.finally(() => this.#runs.delete(recorded));
  }

  /**
   * Writes a delivery's outcome (final, or a retry) with the next batch of runtime writes (`writeBatch.ts`: the
   * invocation records of the same moment go in the same transaction), if this process still owns the delivery:
   * a compare-and-set on its claim. A process that stalled past its lease may find its claim taken over by
   * another, which runs the delivery again; its outcome is then not written over the new owner's (`lost`).
   */
  async #record(job: Job, set: Partial<DeliveryDoc>): Promise<'written' | 'lost' | 'failed'> {
    try {
      const owned = await batchedWrite(
        this.#o.readStore,
        (session) => this.#writeOwned(session, job.id, set),
        {
          linger: true,
        },
      );
      if (owned) return 'written';
      this.#o.logger.warn(
        { deliveryId: job.id, workerId: job.workerId, eventId: job.eventId, outcome: set.status },
        'event delivery outcome dropped: another process took the delivery over (this one held it past its lease); it runs it',
      );
      return 'lost';
    } catch (err) {
      this.#o.logger.error({ err, deliveryId: job.id }, 'could not record an event delivery');
      return 'failed';
    }
  }

  /** Sets `set` on the delivery if it is still claimed by this process (`in_flight`, owner us); else false. */
  async #writeOwned(session: ReadStoreSession, id: string, set: Partial<DeliveryDoc>): Promise<boolean> {
    const c = session.collection<DeliveryDoc>(WORKER_DELIVERIES);
    const current = await c.get(id);
    if (current?.status !== 'in_flight' || current.owner !== this.#owners.bootId) return false;
    await c.patch(id, { $set: set });
    return true;
  }

  /**
   * Whether this process holds the job's claim, claiming it first if it came from the durable queue: with the
   * lane's next unclaimed deliveries (up to `claimBatch`), in one transaction.
   */
  async #claimed(job: Job, lane: Lane): Promise<boolean> {
    while (job.unclaimed && !job.lost) {
      if (!lane.claiming) {
        const batch = [job];
        for (const next of lane.jobs) {
          if (batch.length >= (this.#o.claimBatch ?? 32)) break;
          if (next !== job && !next.started && next.unclaimed && !next.lost) batch.push(next);
        }
        lane.claiming = this.#claim(batch).finally(() => {
          lane.claiming = null;
        });
      }
      await lane.claiming;
    }
    return !job.lost;
  }

  #release(job: Job): void {
    this.#active.delete(job.id);
    this.#deferredEvents.delete(job.id);
    for (const waiter of job.waiters) {
      waiter.outstanding--;
      if (waiter.outstanding === 0) waiter.settled();
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

  /**
   * Holds the event of a delivery deferred to the durable queue; the oldest held goes when there is no room (one
   * another process ran never comes back here).
   */
  #holdEvent(id: string, event: RecordedEvent): void {
    if (this.#deferredEvents.size >= DEFERRED_EVENTS_HELD) {
      this.#deferredEvents.delete(this.#deferredEvents.keys().next().value as string);
    }
    this.#deferredEvents.set(id, event);
  }

  /** The event of a delivery taken from the durable queue, read again by stream and revision. */
  async #readEvent(job: Job): Promise<RecordedEvent | null> {
    if (!job.ref) return null;
    const event = await this.#o.eventStore.readEvent(job.ref.streamId, job.ref.revision);
    return event && event.id === job.eventId ? event : null;
  }

  // ── the durable queue ─────────────────────────────────────────────────────────────────────────────────

  /** Arms the lane's timer for its next due retry (the earliest wins). */
  #wakeAt(workerId: string, lane: Lane, dueAt: number): void {
    if (this.#stopped) return;
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

  /**
   * The worker's first `limit` durable deliveries by due time and position (due by `now`, when given). One query
   * per status, each walking its index in order, merged here: one query over both would sort the whole backlog.
   */
  async #oldestDurable(workerId: string, limit: number, now: number | null): Promise<DeliveryDoc[]> {
    const pages = await Promise.all(
      DURABLE.map((status) =>
        this.#deliveries().find(
          { workerId, status, ...(now === null ? {} : { dueAt: { $lte: now } }) },
          { sort: { dueAt: 1, position: 1 }, limit },
        ),
      ),
    );
    return pages
      .flatMap((page) => page.items)
      .sort((a, b) => (a.dueAt ?? 0) - (b.dueAt ?? 0) || a.position - b.position)
      .slice(0, limit);
  }

  /** Moves the worker's due durable deliveries (oldest first) into its lane, as far as there is room. */
  #refill(workerId: string): void {
    const lane = this.#lane(workerId);
    if (lane.refilling || this.#stopped) return;
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
    // A lane resumed from the durable queue (after a restart, a takeover) learns how many may run at once.
    const worker = await this.#o.readStore.collection<WorkerDoc>(WORKERS).get(workerId);
    if (worker) lane.concurrency = this.#concurrencyOf(worker);
    const now = this.#o.clock.now().getTime();
    const due = await this.#oldestDurable(workerId, room, now);
    for (const doc of due) {
      if (this.#stopped) return;
      if (!this.#active.has(doc.id)) this.#enqueue(jobOf(doc, this.#deferredEvents.get(doc.id)));
    }
    if (due.length === room) return; // full again: the lane refills when it drains
    const [next] = await this.#oldestDurable(workerId, 1, null);
    // Due but not claimed (changed meanwhile) or a deferral that raced this read: look again shortly.
    const soon = now + Math.min(this.#o.pollMs, 100);
    if (next) this.#wakeAt(workerId, lane, Math.max(next.dueAt ?? now, soon));
    else if (lane.deferrals === deferrals) lane.durable = false;
    else this.#wakeAt(workerId, lane, soon);
  }

  /**
   * Claims durable deliveries about to run, each if nobody changed it since it was read (compare-and-set, all in
   * one transaction); the others are marked lost.
   */
  async #claim(jobs: Job[]): Promise<void> {
    try {
      const claimed = await this.#o.readStore.transaction(async (session) => {
        const c = session.collection<DeliveryDoc>(WORKER_DELIVERIES);
        const at = this.#o.clock.now();
        const won = new Map<Job, number>();
        for (const job of jobs) {
          const seen = job.unclaimed!;
          const current = await c.get(job.id);
          if (!current || current.status !== seen.status || current.dueAt !== seen.dueAt) continue;
          await c.patch(job.id, {
            $set: {
              status: 'in_flight',
              dueAt: at.getTime() + this.#o.claimMs,
              owner: this.#owners.bootId,
              updatedAt: at.toISOString(),
            },
          });
          won.set(job, current.attempts);
        }
        return won;
      });
      for (const job of jobs) {
        const attempts = claimed.get(job);
        if (attempts === undefined) job.lost = true;
        else {
          job.attempts = attempts;
          job.unclaimed = null;
        }
      }
    } catch (err) {
      this.#o.logger.error({ err, deliveries: jobs.length }, 'could not claim event deliveries');
      for (const job of jobs) job.lost = true;
    }
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
    if (this.#polling || this.#stopped) return;
    this.#polling = this.#pollOnce()
      .catch((err: unknown) => {
        this.#o.reportError(err);
        this.#o.logger.error({ err }, 'runtime subscriber could not read its durable queue');
      })
      .finally(() => {
        this.#polling = null;
      });
  }

  /**
   * Recovers what a dead process left behind: `in_flight` claims of processes that are gone (and claims
   * without an owner that lapsed) go back to the durable queue, oldest first, and workers with durable
   * deliveries nobody picked up for `claimMs` get their lane refilled here.
   */
  async #pollOnce(): Promise<void> {
    const now = this.#o.clock.now().getTime();
    const deliveries = this.#deliveries();
    const self = this.#owners.bootId;
    const orphaned: DeliveryDoc[] = [];
    for (const owner of await this.#owners.goneOwners()) {
      const page = await deliveries.find({ status: 'in_flight', owner }, { limit: 500 });
      orphaned.push(...page.items);
      if (page.items.length === 0) await this.#owners.forget?.(owner);
    }
    const lapsed = await deliveries.find({ status: 'in_flight', dueAt: { $lte: now } }, { limit: 100 });
    for (const doc of lapsed.items) {
      if (orphaned.some((d) => d.id === doc.id) || this.#active.has(doc.id)) continue;
      // Without an owner (an older m3m's), ours but forgotten (its result could not be recorded), or an owner
      // whose lease is gone from the store: taken over. A live owner's claim is never taken over.
      if (!doc.owner || doc.owner === self || (await this.#owners.isGone(doc.owner))) orphaned.push(doc);
    }
    const stale = await deliveries.find(
      { status: { $in: DURABLE }, dueAt: { $lte: now - this.#o.claimMs } },
      { limit: 100 },
    );
    const workers = new Set(stale.items.map((d) => d.workerId));
    orphaned.sort((a, b) => a.position - b.position);
    const released = await this.#o.readStore.transaction(async (session) => {
      const c = session.collection<DeliveryDoc>(WORKER_DELIVERIES);
      const ids: DeliveryDoc[] = [];
      for (const doc of orphaned) {
        if (this.#active.has(doc.id)) continue;
        const current = await c.get(doc.id);
        if (current?.status !== 'in_flight' || current.dueAt !== doc.dueAt || current.owner !== doc.owner) {
          continue;
        }
        // Waiting since it was created: it goes before deliveries deferred later.
        const since = Math.min(now, Date.parse(current.createdAt) || now);
        await c.patch(doc.id, {
          $set: {
            status: 'deferred',
            dueAt: since,
            owner: null,
            ...(current.owner && current.owner !== self ? { takenOverFrom: current.owner } : {}),
            updatedAt: new Date(now).toISOString(),
          },
        });
        ids.push(current);
      }
      return ids;
    });
    if (released.length > 0) {
      this.#o.logger.info(
        { deliveries: released.length, from: [...new Set(released.map((d) => d.owner ?? null))] },
        'took over event deliveries claimed by processes that are gone',
      );
    }
    for (const doc of released) workers.add(doc.workerId);
    for (const workerId of workers) {
      if (this.#stopped) return;
      this.#lane(workerId).durable = true;
      this.#refill(workerId);
    }
  }

  #deliveries() {
    return this.#o.readStore.collection<DeliveryDoc>(WORKER_DELIVERIES);
  }
}

/** A delivery read from the durable queue; `event`, when this process still holds it (else read when it runs). */
function jobOf(doc: DeliveryDoc, event: RecordedEvent | undefined): Job {
  return {
    id: doc.id,
    workerId: doc.workerId,
    projectId: doc.projectId,
    eventId: doc.eventId,
    ref:
      doc.streamId !== undefined && doc.revision !== undefined
        ? { streamId: doc.streamId, revision: doc.revision }
        : null,
    event: event && event.id === doc.eventId ? event : null,
    attempts: doc.attempts,
    waiters: [],
    started: false,
    lost: false,
    unclaimed: { status: doc.status, dueAt: doc.dueAt },
  };
}

/** A new delivery: claimed by `owner` (in flight), or deferred to the durable queue. */
function newDelivery(
  id: string,
  event: RecordedEvent,
  worker: WorkerDoc,
  defer: boolean,
  now: Date,
  claimMs: number,
  owner: string,
): DeliveryDoc {
  return {
    id,
    workerId: worker.id,
    projectId: worker.projectId,
    eventId: event.id,
    eventType: event.type,
    position: event.position,
    streamId: event.streamId,
    revision: event.revision,
    status: defer ? 'deferred' : 'in_flight',
    attempts: 0,
    lastError: null,
    lastInvocationId: null,
    reason: null,
    dueAt: defer ? now.getTime() : now.getTime() + claimMs,
    owner: defer ? null : owner,
    takenOverFrom: null,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}
