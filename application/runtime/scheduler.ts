import type { Clock } from '../ports/clock.ts';
import { findAll } from '../ports/findAll.ts';
import { type Doc, DuplicateKeyError, type ReadStore } from '../ports/readStore.ts';
import { WORKERS, type WorkerDoc } from '../workers/readModel.ts';
import { type CronSchedule, parseCron } from './cron.ts';

/**
 * The schedule trigger: every enabled, deployed worker with a cron expression runs its `scheduled` handler at
 * each matching minute (UTC).
 *
 * "Each tick runs once": before running a worker for a tick, the scheduler claims it by inserting
 * `{ id: '<workerId>:<tickIso>' }` into `worker_schedule_ticks` (unique by id). Whoever inserts first runs it;
 * a `DuplicateKeyError` means another scheduler (a second process, or this one before a restart) already did.
 * A tick is claimed only once a slot is free to run it at once, so a process that dies strands no tick it
 * claimed and did not start (it is at most once: a tick whose process died while running it is not run again).
 * Ticks missed while no scheduler ran are not replayed: after a restart only the current minute and later
 * ones run (a daily job that should not be skipped can check its own last run in its models). Within one
 * process's life, minutes skipped because the event loop was blocked are caught up (at most
 * `MAX_CATCH_UP_MINUTES`). Claims are kept for `retentionDays` and then deleted.
 */

export const SCHEDULE_TICKS = 'worker_schedule_ticks';
const MINUTE_MS = 60_000;
const MAX_CATCH_UP_MINUTES = 5;
/** After the minute boundary, so that a clock a little behind still lands in the new minute. */
const WAKE_OFFSET_MS = 250;

export interface ScheduleTickDoc extends Doc {
  workerId: string;
  projectId: string;
  /** The tick (ISO 8601, UTC, whole minute). */
  scheduledAt: string;
  cron: string;
  claimedAt: string;
  /** The boot id of the process that claimed it (`../processLease.ts`). */
  owner?: string;
  /** Filled in once the invocation has ended. */
  invocationId?: string;
  outcome?: string;
}

export interface ScheduledRun {
  workerId: string;
  projectId: string;
  scheduledAt: string;
  cron: string;
}

export interface SchedulerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SchedulerOptions {
  readStore: ReadStore;
  clock: Clock;
  /** This process's boot id, recorded with its claims. */
  owner?: string;
  /** Runs the worker's `scheduled` handler for the tick; resolves to the invocation's id and outcome. */
  run(tick: ScheduledRun): Promise<{ id: string; outcome: string }>;
  logger?: SchedulerLogger;
  /** Ticks claimed at the same time that run at once (the others wait). Default 16. */
  concurrency?: number;
  /** Claims older than this are deleted (hourly). Default 7. */
  retentionDays?: number;
}

export interface SchedulerStatus {
  state: 'idle' | 'running' | 'stopped';
  /** The last minute checked (ISO 8601), or `null`. */
  lastTick: string | null;
  /** Ticks this process claimed and ran since it started. */
  ran: number;
  /** Ticks it found already claimed by another scheduler. */
  alreadyClaimed: number;
  running: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

const silent: SchedulerLogger = { info: () => {}, warn: () => {}, error: () => {} };

export class Scheduler {
  readonly #readStore: ReadStore;
  readonly #clock: Clock;
  readonly #owner: string | undefined;
  readonly #run: SchedulerOptions['run'];
  readonly #logger: SchedulerLogger;
  readonly #concurrency: number;
  readonly #retentionDays: number;
  readonly #schedules = new Map<string, CronSchedule | Error>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #waiting: (() => void)[] = [];
  #running = 0;
  #lastMinute: number | null = null;
  #lastSweep = 0;
  #timer: NodeJS.Timeout | null = null;
  #checking: Promise<void> | null = null;
  #stopped = false;
  #status: SchedulerStatus = {
    state: 'idle',
    lastTick: null,
    ran: 0,
    alreadyClaimed: 0,
    running: 0,
    lastError: null,
    lastErrorAt: null,
  };

  constructor(options: SchedulerOptions) {
    this.#readStore = options.readStore;
    this.#clock = options.clock;
    this.#owner = options.owner;
    this.#run = options.run;
    this.#logger = options.logger ?? silent;
    this.#concurrency = options.concurrency ?? 16;
    this.#retentionDays = options.retentionDays ?? 7;
  }

  /** Checks the current minute now, then wakes up after every minute boundary. */
  async start(): Promise<void> {
    await this.#readStore.ensureIndexes(SCHEDULE_TICKS, [{ fields: ['scheduledAt'] }]);
    this.#stopped = false;
    this.#status.state = 'running';
    await this.runDue();
    this.#arm();
  }

  /**
   * Runs every tick due up to the current minute that this scheduler has not checked yet (at first: only
   * the current minute), claiming each before running it. Resolves once the ticks are claimed; their
   * invocations go on in the background (`idle()` waits for them).
   */
  runDue(): Promise<void> {
    const run = (this.#checking ?? Promise.resolve()).then(() => this.#check());
    this.#checking = run.finally(() => {
      if (this.#checking === run) this.#checking = null;
    });
    return run;
  }

  /** Resolves when every invocation started so far has ended. */
  async idle(): Promise<void> {
    await this.#checking;
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  status(): SchedulerStatus {
    return { ...this.#status, running: this.#running };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#status.state = 'stopped';
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.idle();
  }

  #arm(): void {
    if (this.#stopped) return;
    const now = this.#clock.now().getTime();
    const delay = Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS + WAKE_OFFSET_MS - now;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.runDue()
        .catch(() => {}) // recorded in the status by #check
        .finally(() => this.#arm());
    }, delay);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    if (this.#stopped) return;
    const current = Math.floor(this.#clock.now().getTime() / MINUTE_MS) * MINUTE_MS;
    const first =
      this.#lastMinute === null
        ? current
        : Math.max(this.#lastMinute + MINUTE_MS, current - (MAX_CATCH_UP_MINUTES - 1) * MINUTE_MS);
    if (first > current) return;
    try {
      const workers = (
        await findAll(this.#readStore.collection<WorkerDoc>(WORKERS), {
          enabled: true,
          cron: { $ne: null },
        })
      ).filter((w) => w.activeVersion !== null && typeof w.cron === 'string');
      for (let minute = first; minute <= current; minute += MINUTE_MS) {
        const tick = new Date(minute);
        for (const worker of workers) {
          const schedule = this.#schedule(worker);
          if (schedule?.matches(tick)) await this.#claimAndRun(worker, tick);
        }
        this.#lastMinute = minute;
        this.#status.lastTick = tick.toISOString();
      }
      await this.#sweep(current);
    } catch (err) {
      this.#fail(err, 'scheduler check failed; the next minute tries again');
      throw err;
    }
  }

  #schedule(worker: WorkerDoc): CronSchedule | null {
    const expression = worker.cron!;
    let schedule = this.#schedules.get(expression);
    if (!schedule) {
      try {
        schedule = parseCron(expression);
      } catch (err) {
        schedule = err as Error;
        this.#logger.warn(
          { workerId: worker.id, cron: expression, reason: schedule.message },
          'worker has an invalid cron expression; it is not scheduled',
        );
      }
      this.#schedules.set(expression, schedule);
    }
    return schedule instanceof Error ? null : schedule;
  }

  async #claimAndRun(worker: WorkerDoc, tick: Date): Promise<void> {
    const scheduledAt = tick.toISOString();
    const id = `${worker.id}:${scheduledAt}`;
    // Claimed only when it can run at once: a claim never waits for a slot (nor dies with this process unrun).
    await this.#slot();
    try {
      await this.#readStore.collection<ScheduleTickDoc>(SCHEDULE_TICKS).insert({
        id,
        workerId: worker.id,
        projectId: worker.projectId,
        scheduledAt,
        cron: worker.cron!,
        claimedAt: this.#clock.now().toISOString(),
        ...(this.#owner ? { owner: this.#owner } : {}),
      });
    } catch (err) {
      this.#running--;
      this.#waiting.shift()?.();
      if (err instanceof DuplicateKeyError) {
        this.#status.alreadyClaimed++;
        return;
      }
      throw err;
    }
    this.#status.ran++;
    const running = this.#invoke(id, {
      workerId: worker.id,
      projectId: worker.projectId,
      scheduledAt,
      cron: worker.cron!,
    });
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running));
  }

  async #invoke(id: string, tick: ScheduledRun): Promise<void> {
    try {
      const invocation = await this.#run(tick);
      await this.#readStore
        .collection<ScheduleTickDoc>(SCHEDULE_TICKS)
        .patch(id, { $set: { invocationId: invocation.id, outcome: invocation.outcome } });
    } catch (err) {
      // A worker disabled or deleted between the read and the run, or the runtime is down: the tick is
      // spent either way (it is never run twice), and the reason is kept with it.
      const reason = err instanceof Error ? err.message : String(err);
      this.#logger.warn(
        { workerId: tick.workerId, scheduledAt: tick.scheduledAt, reason },
        'scheduled run failed',
      );
      await this.#readStore
        .collection<ScheduleTickDoc>(SCHEDULE_TICKS)
        .patch(id, { $set: { outcome: 'not_run', error: reason } })
        .catch(() => {});
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  /** Waits for one of the `concurrency` slots. */
  async #slot(): Promise<void> {
    while (this.#running >= this.#concurrency) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#running++;
  }

  async #sweep(now: number): Promise<void> {
    if (now - this.#lastSweep < 60 * MINUTE_MS) return;
    this.#lastSweep = now;
    const cutoff = new Date(now - this.#retentionDays * 24 * 60 * MINUTE_MS).toISOString();
    await this.#readStore.collection(SCHEDULE_TICKS).deleteMany({ scheduledAt: { $lt: cutoff } });
  }

  #fail(err: unknown, message: string): void {
    this.#status.lastError = err instanceof Error ? err.message : String(err);
    this.#status.lastErrorAt = new Date().toISOString();
    this.#logger.error({ err }, message);
  }
}
