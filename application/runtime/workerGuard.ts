import { ApplicationError } from '../errors.ts';
import type { Clock } from '../ports/clock.ts';
import type { Doc, ReadStore, ReadStoreSession } from '../ports/readStore.ts';
import type { InvocationOutcome } from '../ports/workerSandbox.ts';
import { sameInBatch } from './writeBatch.ts';

/**
 * Keeps a worker that always runs into its limits from taking a core for ever (issue 12, item 7):
 *
 * - **CPU budget per minute.** The CPU time of a worker's invocations over the last 60 s (in this process) may
 *   not pass `cpuBudgetMsPerMinute`; past it, the worker's next invocation is refused with `worker_throttled`
 *   and when the budget has room again (`retryAfterMs`): event deliveries wait until then (not an attempt),
 *   HTTP and manual runs get 429 with `Retry-After`. The spend is per process: each m3m process gives a worker
 *   at most its budget of its own cores.
 * - **Circuit breaker.** `breakerThreshold` invocations in a row ending at a limit (`cpu_limit`, `memory_limit`,
 *   `timeout`, `crashed`) suspend the worker for `coolDownMs`: `m3m_worker_breakers/<workerId>` (read store, so
 *   every process sees it) holds the reason, the worker's API view shows it, the invocation that tripped it gets a
 *   log line saying so, and its invocations are refused with `worker_suspended` (deliveries wait) until the
 *   cool-down ends or someone who may edit the worker resumes it (`POST …/workers/:workerId/resume`).
 */

export const WORKER_BREAKERS = 'm3m_worker_breakers';

/** Outcomes where the sandbox stopped the worker: the ones a breaker counts. */
const LIMIT_OUTCOMES: ReadonlySet<InvocationOutcome> = new Set([
  'cpu_limit',
  'memory_limit',
  'timeout',
  'crashed',
]);
const WINDOW_MS = 60_000;
/**
 * Invocations of one worker this close together count as one entry of the window, stamped with the latest: a
 * burst keeps at most 600 entries a minute (each admission walked them all), and a bucket leaves the window when
 * its last invocation does, so the budget is never under-counted.
 */
const BUCKET_MS = 100;
/** How long one read of a worker's suspension serves its admissions (see `WorkerGuard.#admissionSuspension`). */
const SUSPENSION_READ_MS = 25;

export interface BreakerDoc extends Doc {
  workerId: string;
  projectId: string;
  /** Invocations in a row that ended at a limit. */
  consecutive: number;
  /** Set while suspended (ISO 8601); the suspension ends at `suspendedUntil`. */
  suspendedAt: string | null;
  suspendedUntil: string | null;
  reason: string | null;
}

export interface Suspension {
  reason: string;
  since: string;
  until: string;
}

export interface GuardSettings {
  /** CPU ms a worker's invocations may use per minute (in one process). Default 20 000 (a third of a core). */
  cpuBudgetMsPerMinute: number;
  /** Limit-ended invocations in a row that suspend a worker. Default 5. */
  breakerThreshold: number;
  /** How long a suspension lasts unless resumed. Default 10 min. */
  coolDownMs: number;
}

export const DEFAULT_GUARD: GuardSettings = {
  cpuBudgetMsPerMinute: 20_000,
  breakerThreshold: 5,
  coolDownMs: 600_000,
};

/** A refusal that says when to come back: a delivery waits that long, HTTP answers `Retry-After`. */
export class RetryLaterError extends ApplicationError {
  readonly retryAfterMs: number;
  constructor(code: 'worker_throttled' | 'worker_suspended', message: string, retryAfterMs: number) {
    super(code, message);
    this.retryAfterMs = Math.max(1, Math.ceil(retryAfterMs));
  }
}

/** The suspensions still in force among these workers (a cool-down that is over is no suspension). */
export async function readSuspensions(
  readStore: ReadStore,
  clock: Clock,
  workerIds: readonly string[],
): Promise<Map<string, Suspension>> {
  const out = new Map<string, Suspension>();
  if (workerIds.length === 0) return out;
  const { items } = await readStore
    .collection<BreakerDoc>(WORKER_BREAKERS)
    .find({ id: { $in: [...workerIds] } }, { limit: Math.min(10_000, workerIds.length) });
  const now = clock.now().getTime();
  for (const doc of items) {
    if (!doc.suspendedUntil || !doc.suspendedAt || !doc.reason) continue;
    if (Date.parse(doc.suspendedUntil) <= now) continue;
    out.set(doc.id, { reason: doc.reason, since: doc.suspendedAt, until: doc.suspendedUntil });
  }
  return out;
}

/** Whether the sandbox stopped the worker (an outcome the breaker counts). */
export function isLimitOutcome(outcome: InvocationOutcome): boolean {
  return LIMIT_OUTCOMES.has(outcome);
}

/** An invocation that did not end at a limit: the worker's limit-ended invocations in a row are 0 again. */
export async function clearBreaker(session: ReadStoreSession, workerId: string): Promise<void> {
  // Once per worker in a batch of runtime writes: nothing else writes while its transaction holds the lock.
  await sameInBatch(session, `clearBreaker:${workerId}`, async () => {
    const breakers = session.collection<BreakerDoc>(WORKER_BREAKERS);
    const current = await breakers.get(workerId);
    if (current && current.consecutive > 0) await breakers.patch(workerId, { $set: { consecutive: 0 } });
  });
}

export class WorkerGuard {
  readonly #readStore: ReadStore;
  readonly #clock: Clock;
  readonly #settings: GuardSettings;
  /** Per worker: CPU ms spent, by end time, over the last minute (oldest first). */
  readonly #spent = new Map<string, { at: number; cpuMs: number }[]>();
  /** The last read of each worker's suspension for admissions (`performance.now()` of the read). */
  readonly #suspensionReads = new Map<string, { at: number; suspension: Promise<Suspension | null> }>();

  constructor(readStore: ReadStore, clock: Clock, settings: Partial<GuardSettings> = {}) {
    this.#readStore = readStore;
    this.#clock = clock;
    this.#settings = { ...DEFAULT_GUARD, ...settings };
  }

  get settings(): GuardSettings {
    return this.#settings;
  }

  /** Refuses (`RetryLaterError`) an invocation of a suspended worker or one over its CPU budget. */
  async admit(worker: { id: string; slug: string }): Promise<void> {
    const now = this.#clock.now().getTime();
    const suspension = await this.#admissionSuspension(worker.id);
    if (suspension) {
      throw new RetryLaterError(
        'worker_suspended',
        `The worker "${worker.slug}" is suspended until ${suspension.until}: ${suspension.reason} Resume it (POST …/workers/:workerId/resume) once it is fixed.`,
        Date.parse(suspension.until) - now,
      );
    }
    const entries = this.#window(worker.id, now);
    let spent = entries.reduce((sum, e) => sum + e.cpuMs, 0);
    const budget = this.#settings.cpuBudgetMsPerMinute;
    if (spent < budget) return;
    // Room again once enough of the oldest spending has left the window.
    let at = now;
    for (const entry of entries) {
      spent -= entry.cpuMs;
      at = entry.at + WINDOW_MS;
      if (spent < budget) break;
    }
    throw new RetryLaterError(
      'worker_throttled',
      `The worker "${worker.slug}" used its CPU budget of ${budget} ms per minute (M3M_WORKER_CPU_BUDGET_MS): it runs again in ${Math.ceil((at - now) / 1000)} s.`,
      at - now,
    );
  }

  /**
   * Counts an invocation's CPU and outcome. Returns the log line to add to its record when this invocation
   * suspended the worker, `null` otherwise.
   */
  async record(
    worker: { id: string; projectId: string },
    outcome: InvocationOutcome,
    cpuMs: number,
  ): Promise<string | null> {
    const now = this.#clock.now();
    this.spend(worker.id, cpuMs);
    const breakers = this.#readStore.collection<BreakerDoc>(WORKER_BREAKERS);
    if (!LIMIT_OUTCOMES.has(outcome)) {
      await this.#readStore.transaction((session) => clearBreaker(session, worker.id));
      return null;
    }
    await breakers.patch(
      worker.id,
      { $set: { workerId: worker.id, projectId: worker.projectId }, $inc: { consecutive: 1 } },
      { upsert: true },
    );
    const doc = await breakers.get(worker.id);
    const { breakerThreshold, coolDownMs } = this.#settings;
    if (
      !doc ||
      doc.consecutive < breakerThreshold ||
      (doc.suspendedUntil && Date.parse(doc.suspendedUntil) > now.getTime())
    ) {
      return null;
    }
    const until = new Date(now.getTime() + coolDownMs).toISOString();
    const reason = `${doc.consecutive} invocations in a row ended at a limit (the last: ${outcome}).`;
    await breakers.patch(worker.id, {
      $set: { suspendedAt: now.toISOString(), suspendedUntil: until, reason, consecutive: 0 },
    });
    this.#suspensionReads.delete(worker.id); // its next admission reads the suspension
    return `worker suspended until ${until}: ${reason} Its invocations wait until then, or until it is resumed.`;
  }

  /**
   * Counts an invocation's CPU against the worker's budget (in memory). `record` does it too; an invocation that
   * did not end at a limit calls this and clears the breaker's count with its record (`clearBreaker`).
   */
  spend(workerId: string, cpuMs: number): void {
    const now = this.#clock.now().getTime();
    const entries = this.#window(workerId, now);
    const last = entries.at(-1);
    if (last && now - last.at < BUCKET_MS && now >= last.at) {
      last.at = now;
      last.cpuMs += cpuMs;
    } else entries.push({ at: now, cpuMs });
    this.#spent.set(workerId, entries);
  }

  suspensionOf(workerId: string): Promise<Suspension | null> {
    return readSuspensions(this.#readStore, this.#clock, [workerId]).then((m) => m.get(workerId) ?? null);
  }

  /**
   * `suspensionOf` for an admission: one read serves the admissions of the next `SUSPENSION_READ_MS` (a burst of
   * deliveries to one worker, a thousand a second, reads it a few dozen times instead of a thousand). A suspension
   * this process decides, or a resume it makes, is seen at once; another process's within that time.
   */
  #admissionSuspension(workerId: string): Promise<Suspension | null> {
    const now = performance.now();
    const read = this.#suspensionReads.get(workerId);
    if (read && now - read.at < SUSPENSION_READ_MS) return read.suspension;
    const suspension = this.suspensionOf(workerId);
    this.#suspensionReads.set(workerId, { at: now, suspension });
    // A failed read is not remembered.
    suspension.catch(() => {
      if (this.#suspensionReads.get(workerId)?.suspension === suspension)
        this.#suspensionReads.delete(workerId);
    });
    if (this.#suspensionReads.size > 10_000) this.#suspensionReads.clear();
    return suspension;
  }

  /** Ends a suspension now (and forgets the CPU spent, so the worker is not throttled at once). */
  async resume(workerId: string): Promise<void> {
    this.#spent.delete(workerId);
    await this.#readStore.collection<BreakerDoc>(WORKER_BREAKERS).patch(workerId, {
      $set: { suspendedAt: null, suspendedUntil: null, reason: null, consecutive: 0 },
    });
    this.#suspensionReads.delete(workerId);
  }

  #window(workerId: string, now: number): { at: number; cpuMs: number }[] {
    const all = this.#spent.get(workerId) ?? [];
    // Oldest first (appended as they end): only the head ever leaves.
    const gone = all.findIndex((e) => e.at > now - WINDOW_MS);
    const entries = gone === 0 ? all : gone < 0 ? [] : all.slice(gone);
    if (entries.length === 0) this.#spent.delete(workerId);
    else this.#spent.set(workerId, entries);
    return entries;
  }
}
