import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { filter, firstValueFrom, Subject, type Subscription, timeout } from 'rxjs';
import type { EventSchemaRegistry } from '../application/commands/eventSchemas.ts';
import { upcastEvent } from '../application/commands/loadAggregate.ts';
import type { EventStore, RecordedEvent } from '../application/ports/eventStore.ts';
import {
  type Doc,
  type ReadStore,
  type ReadStoreSession,
  TransactionLimitError,
} from '../application/ports/readStore.ts';
import type { Projection, ProjectionView } from './projection.ts';

const REBUILD_SUFFIX = '__rebuild';
const CHECKPOINT_ID = 'checkpoint';
const MAX_BACKOFF_MS = 30_000;
const LEASES = 'm3m_projection_leases';
/** A rebuild's swap that has started and not finished: repeated at the next start (MongoDB renames one by one). */
const SWAPS = 'm3m_projection_swaps';
const LEASE_MS = 30_000;
const LEASE_POLL_MS = 250;

interface Checkpoint extends Doc {
  version: number;
  position: number;
  updatedAt: string;
}

/** Only the holder of a projection's lease may write its `__rebuild` collections. */
interface Lease extends Doc {
  owner: string;
  expiresAt: number;
}

/** The stored checkpoint went backwards: another process swapped in an older rebuild. Resync from it. */
class CheckpointMovedBack extends Error {
  readonly stored: number;
  constructor(stored: number) {
    super(`checkpoint moved back to ${stored}`);
    this.stored = stored;
  }
}

class LeaseLost extends Error {}

interface PendingSwap extends Doc {
  pairs: { from: string; to: string }[];
  startedAt: string;
}

export type ProjectionState = 'idle' | 'catching_up' | 'rebuilding' | 'live' | 'retrying' | 'stopped';

export interface ProjectionStatus {
  name: string;
  version: number;
  state: ProjectionState;
  /** Every event up to this `$all` position has been applied (or skipped as irrelevant). */
  position: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface RebuildProgress {
  projection: string;
  /** Events read from `$all` so far in this rebuild. */
  events: number;
  position: number;
  headPosition: number;
}

export interface RebuildSummary {
  projection: string;
  /** Events read from `$all`: every projection reads them all. */
  events: number;
  /** Of those, the events this projection applied (the rest are not of a type it handles). */
  applied: number;
  durationMs: number;
}

export interface RunnerLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ProjectionRunnerOptions {
  eventStore: EventStore;
  readStore: ReadStore;
  schemas: EventSchemaRegistry;
  projections: readonly Projection[];
  logger?: RunnerLogger;
  /** Events per read-store transaction at most (default 1000). */
  batchSize?: number;
  /**
   * A transaction stops taking more events once it has run this long (default 1000 ms), so that a slow
   * projection never meets MongoDB's transaction time limit (60 s by default) nor holds SQLite's write lock long.
   */
  maxBatchMs?: number;
}

interface Run {
  projection: Projection;
  relevant: (type: string) => boolean;
  status: ProjectionStatus;
  subscription: Subscription | null;
  queue: RecordedEvent[];
  draining: Promise<void> | null;
  retryTimer: NodeJS.Timeout | null;
  failures: number;
  /** The live checkpoint as this runner last read or wrote it. */
  stored: number;
  /** Events per transaction now: `batchSize`, halved each time the store gives up on a transaction as too big. */
  chunk: number;
  /** Events applied (committed) since the count was last reset: what a replay reports per projection. */
  applied: number;
}

const silentLogger: RunnerLogger = { info: () => {}, error: () => {} };

/**
 * Keeps every projection's read model in step with `$all`. The checkpoint lives in a collection of the
 * projection's own, written in the same transaction as the model, and each batch re-reads it inside that
 * transaction: an event at or below the stored checkpoint is never applied twice, whoever else runs the
 * projection, and a checkpoint that moved backwards (another process swapped in a rebuild) makes this runner
 * resync from it. Rebuilds fill `<collection>__rebuild` under a lease, so one process at a time builds, and
 * swap it in (checkpoint included) once caught up.
 */
export class ProjectionRunner {
  readonly #options: Required<Omit<ProjectionRunnerOptions, 'logger'>> & { logger: RunnerLogger };
  readonly #runs = new Map<string, Run>();
  readonly #progress = new Subject<void>();
  #started = false;

  constructor(options: ProjectionRunnerOptions) {
    this.#options = { batchSize: 1000, maxBatchMs: 1000, logger: silentLogger, ...options };
    for (const projection of options.projections) {
      if (!/^[a-z][a-z0-9_]*$/.test(projection.name))
        throw new Error(`Invalid projection name: ${projection.name}`);
      const types = projection.eventTypes ? new Set(projection.eventTypes) : null;
      this.#runs.set(projection.name, {
        projection,
        relevant: types ? (type) => types.has(type) : () => true,
        status: {
          name: projection.name,
          version: projection.version,
          state: 'idle',
          position: 0,
          lastError: null,
          lastErrorAt: null,
        },
        subscription: null,
        queue: [],
        draining: null,
        retryTimer: null,
        failures: 0,
        stored: 0,
        chunk: this.#options.batchSize,
        applied: 0,
      });
    }
  }

  get projectionNames(): string[] {
    return [...this.#runs.keys()];
  }

  /** Catches every projection up (rebuilding those whose version changed), then follows `$all` live. */
  async start(): Promise<void> {
    this.#started = true;
    for (const run of this.#runs.values()) {
      await this.#prepare(run);
      this.#goLive(run);
    }
  }

  /** Catches every projection up once, without going live (used by tools that exit afterwards). */
  async catchUp(): Promise<void> {
    for (const run of this.#runs.values()) {
      await this.#prepare(run);
      run.status.state = 'idle';
    }
  }

  /** Rebuilds the named projections (all when none is named) from the first event and swaps them in. */
  async replay(
    names?: readonly string[],
    onProgress?: (progress: RebuildProgress) => void,
  ): Promise<RebuildSummary[]> {
    const selected = names?.length ? names : this.projectionNames;
    const unknown = selected.filter((name) => !this.#runs.has(name));
    if (unknown.length > 0) {
      throw new Error(
        `Unknown projection: ${unknown.join(', ')} (known: ${this.projectionNames.join(', ')})`,
      );
    }
    const summaries: RebuildSummary[] = [];
    for (const name of selected) {
      const run = this.#runs.get(name)!;
      await this.#stopRun(run);
      const startedAt = performance.now();
      run.applied = 0;
      const events = await this.#rebuild(run, { resume: false, onProgress });
      summaries.push({
        projection: name,
        events,
        applied: run.applied,
        durationMs: performance.now() - startedAt,
      });
      if (this.#started) this.#goLive(run);
      else run.status.state = 'idle';
    }
    return summaries;
  }

  status(): ProjectionStatus[] {
    return [...this.#runs.values()].map((run) => ({ ...run.status }));
  }

  /** Resolves once every projection has processed `$all` up to `position`. */
  async waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    const reached = () => [...this.#runs.values()].every((run) => run.status.position >= position);
    if (reached()) return;
    await firstValueFrom(this.#progress.pipe(filter(reached), timeout(timeoutMs)));
  }

  async stop(): Promise<void> {
    this.#started = false;
    await Promise.all([...this.#runs.values()].map((run) => this.#stopRun(run)));
  }

  async #prepare(run: Run): Promise<void> {
    try {
      await this.#prepareOnce(run);
    } catch (error) {
      if (!(error instanceof CheckpointMovedBack)) throw error;
      await this.#prepareOnce(run);
    }
  }

  async #prepareOnce(run: Run): Promise<void> {
    const { readStore } = this.#options;
    if (await readStore.collection<PendingSwap>(SWAPS).get(run.projection.name)) {
      const lease = await this.#acquireLease(run.projection);
      try {
        await this.#finishSwap(run.projection, lease);
      } finally {
        await this.#releaseLease(run.projection, lease);
      }
    }
    for (const [name, indexes] of Object.entries(run.projection.collections)) {
      await readStore.ensureIndexes(name, indexes);
    }
    const checkpoint = await this.#readCheckpoint(readStore, run.projection, '');
    if (checkpoint?.version === run.projection.version) {
      run.stored = checkpoint.position;
      run.status.state = 'catching_up';
      await this.#catchUp(run, '', checkpoint.position);
      return;
    }
    this.#options.logger.info(
      { projection: run.projection.name, from: checkpoint?.version ?? null, to: run.projection.version },
      'projection version changed: rebuilding',
    );
    await this.#rebuild(run, { resume: true });
  }

  async #rebuild(
    run: Run,
    options: { resume: boolean; onProgress?: (p: RebuildProgress) => void },
  ): Promise<number> {
    const lease = await this.#acquireLease(run.projection);
    try {
      if (options.resume) {
        // Another process may have finished the same rebuild while we waited for the lease.
        const live = await this.#readCheckpoint(this.#options.readStore, run.projection, '');
        if (live?.version === run.projection.version) {
          run.stored = live.position;
          run.status.state = 'catching_up';
          return await this.#catchUp(run, '', live.position);
        }
      }
      return await this.#rebuildHoldingLease(run, lease, options);
    } finally {
      await this.#releaseLease(run.projection, lease);
    }
  }

  async #rebuildHoldingLease(
    run: Run,
    lease: string,
    options: { resume: boolean; onProgress?: (p: RebuildProgress) => void },
  ): Promise<number> {
    const { readStore, eventStore } = this.#options;
    const { projection } = run;
    // A swap cut off earlier must complete before its sources are dropped or written again.
    await this.#finishSwap(projection, lease);
    const pairs = [...Object.keys(projection.collections), checkpointCollection(projection)].map((name) => ({
      from: name + REBUILD_SUFFIX,
      to: name,
    }));
    let from = 0;
    const previous = await this.#readCheckpoint(readStore, projection, REBUILD_SUFFIX);
    if (options.resume && previous?.version === projection.version) {
      from = previous.position;
    } else {
      for (const { from: name } of pairs) await readStore.dropCollection(name);
    }
    for (const [name, indexes] of Object.entries(projection.collections)) {
      await readStore.ensureIndexes(name + REBUILD_SUFFIX, indexes);
    }
    run.status.state = 'rebuilding';
    const headPosition = await eventStore.headPosition();
    const events = await this.#catchUp(
      run,
      REBUILD_SUFFIX,
      from,
      (events, position) =>
        options.onProgress?.({ projection: projection.name, events, position, headPosition }),
      lease,
    );
    // An empty `$all` leaves no checkpoint behind; write one so the swapped-in model records its version.
    // The swap is recorded with it: MongoDB renames one collection at a time, and a swap cut off half-way
    // (a crash, a lost connection) leaves a model that is part old, part new until it is repeated.
    await readStore.transaction(async (session) => {
      await this.#renewLease(session, projection, lease);
      await this.#writeCheckpoint(session, run, REBUILD_SUFFIX, run.status.position);
      await session
        .collection<PendingSwap>(SWAPS)
        .upsert({ id: projection.name, pairs, startedAt: new Date().toISOString() });
    });
    await this.#finishSwap(projection, lease);
    run.stored = run.status.position;
    this.#options.logger.info({ projection: projection.name, events }, 'projection rebuilt');
    return events;
  }

  /** Repeats a recorded swap until it is done (the port makes a repeated swap lose nothing). Holds the lease. */
  async #finishSwap(projection: Projection, lease: string): Promise<void> {
    const { readStore, logger } = this.#options;
    const swaps = readStore.collection<PendingSwap>(SWAPS);
    const pending = await swaps.get(projection.name);
    if (!pending) return;
    await readStore.transaction((session) => this.#renewLease(session, projection, lease));
    await readStore.swapCollections(pending.pairs);
    await swaps.delete(projection.name);
    logger.info(
      { projection: projection.name, startedAt: pending.startedAt },
      'projection rebuild swapped in',
    );
  }

  /** Waits until no other process holds the projection's rebuild lease, then takes it. */
  async #acquireLease(projection: Projection): Promise<string> {
    const owner = randomUUID();
    for (let waited = false; ; waited = true) {
      const taken = await this.#options.readStore.transaction(async (session) => {
        const leases = session.collection<Lease>(LEASES);
        const current = await leases.get(projection.name);
        if (current && current.owner !== owner && current.expiresAt > Date.now()) return false;
        await leases.upsert({ id: projection.name, owner, expiresAt: Date.now() + LEASE_MS });
        return true;
      });
      if (taken) return owner;
      if (!waited)
        this.#options.logger.info(
          { projection: projection.name },
          'waiting for a rebuild in another process',
        );
      await sleep(LEASE_POLL_MS);
    }
  }

  async #releaseLease(projection: Projection, owner: string): Promise<void> {
    await this.#options.readStore.transaction(async (session) => {
      const leases = session.collection<Lease>(LEASES);
      if ((await leases.get(projection.name))?.owner === owner) await leases.delete(projection.name);
    });
  }

  /** Applies `$all` from `from` to the current head in batches; returns how many events it read. */
  async #catchUp(
    run: Run,
    suffix: string,
    from: number,
    onPage?: (events: number, position: number) => void,
    lease?: string,
  ): Promise<number> {
    let position = from;
    let events = 0;
    run.status.position = from;
    for (;;) {
      const page = await this.#options.eventStore.readAll({
        fromPosition: position,
        limit: this.#options.batchSize,
      });
      if (page.length === 0) return events;
      await this.#applyBatch(run, suffix, page, true, lease);
      position = page.at(-1)!.position;
      events += page.length;
      onPage?.(events, position);
    }
  }

  /**
   * Applies `batch` in as many transactions as it takes: each stops taking events after `maxBatchMs`, and one
   * the store gave up on (too long, too large) is tried again with half as many events, down to one.
   */
  async #applyBatch(
    run: Run,
    suffix: string,
    batch: readonly RecordedEvent[],
    persistAlways: boolean,
    lease?: string,
  ): Promise<void> {
    let rest = batch;
    while (rest.length > 0) {
      let covered: number;
      try {
        covered = await this.#applyChunk(run, suffix, rest.slice(0, run.chunk), persistAlways, lease);
      } catch (error) {
        if (!(error instanceof TransactionLimitError) || run.chunk === 1) throw error;
        run.chunk = Math.max(1, Math.floor(Math.min(run.chunk, rest.length) / 2));
        this.#options.logger.error(
          { projection: run.projection.name, err: error, eventsPerTransaction: run.chunk },
          'projection transaction was too big for the read store: retrying with fewer events',
        );
        continue;
      }
      rest = rest.slice(covered);
    }
  }

  /** One transaction over the first events of `chunk`; returns how many it covered (at least one). */
  async #applyChunk(
    run: Run,
    suffix: string,
    chunk: readonly RecordedEvent[],
    persistAlways: boolean,
    lease?: string,
  ): Promise<number> {
    const relevant = chunk.some((event) => run.relevant(event.type));
    let covered = chunk.length;
    let applied = 0;
    if (relevant || persistAlways) {
      const written = await this.#options.readStore.transaction(async (session) => {
        const started = performance.now();
        if (lease) await this.#renewLease(session, run.projection, lease);
        const stored = (await this.#readCheckpoint(session, run.projection, suffix))?.position ?? 0;
        if (!lease && stored < run.stored) throw new CheckpointMovedBack(stored);
        const view = this.#view(session, run.projection, suffix);
        covered = 0;
        applied = 0;
        for (const event of chunk) {
          if (covered > 0 && performance.now() - started >= this.#options.maxBatchMs) break;
          covered += 1;
          if (event.position <= stored || !run.relevant(event.type)) continue;
          await run.projection.apply(upcastEvent(this.#options.schemas, event), view);
          applied += 1;
        }
        const position = Math.max(stored, chunk[covered - 1]!.position);
        await this.#writeCheckpoint(session, run, suffix, position);
        return position;
      });
      // Counted once committed: a transaction the store gave up on is tried again with fewer events.
      run.applied += applied;
      if (!lease) run.stored = written;
    }
    run.status.position = Math.max(run.status.position, chunk[covered - 1]!.position);
    this.#progress.next();
    return covered;
  }

  async #renewLease(session: ReadStoreSession, projection: Projection, owner: string): Promise<void> {
    const leases = session.collection<Lease>(LEASES);
    if ((await leases.get(projection.name))?.owner !== owner) {
      throw new LeaseLost(`Rebuild of ${projection.name}: lease lost (another process took over)`);
    }
    await leases.upsert({ id: projection.name, owner, expiresAt: Date.now() + LEASE_MS });
  }

  #goLive(run: Run): void {
    run.status.state = 'live';
    run.subscription = this.#options.eventStore
      .subscribeAll({ fromPosition: run.status.position })
      .subscribe({
        next: (event) => {
          run.queue.push(event);
          run.draining ??= this.#drain(run);
        },
        error: (error: unknown) => this.#fail(run, error),
      });
  }

  async #drain(run: Run): Promise<void> {
    try {
      while (run.queue.length > 0) {
        const batch = run.queue.splice(0, this.#options.batchSize);
        await this.#applyBatch(run, '', batch, false);
        run.failures = 0;
      }
    } catch (error) {
      if (error instanceof CheckpointMovedBack) this.#resync(run, error.stored);
      else this.#fail(run, error);
    } finally {
      run.draining = null;
      if (run.queue.length > 0 && run.subscription) run.draining = this.#drain(run);
    }
  }

  #resync(run: Run, stored: number): void {
    this.#options.logger.info(
      { projection: run.projection.name, position: stored },
      'checkpoint moved back: resyncing',
    );
    run.subscription?.unsubscribe();
    run.queue = [];
    run.stored = stored;
    run.status.position = stored;
    this.#goLive(run);
  }

  /** Records the error, drops what is queued and resubscribes from the stored checkpoint after a backoff. */
  #fail(run: Run, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#options.logger.error(
      { projection: run.projection.name, err: error },
      'projection failed; will retry',
    );
    run.status.lastError = message;
    run.status.lastErrorAt = new Date().toISOString();
    run.status.state = 'retrying';
    run.subscription?.unsubscribe();
    run.subscription = null;
    run.queue = [];
    run.failures += 1;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** run.failures);
    run.retryTimer = setTimeout(() => {
      run.retryTimer = null;
      void this.#restart(run);
    }, delay);
    run.retryTimer.unref();
  }

  async #restart(run: Run): Promise<void> {
    if (!this.#started) return;
    try {
      const checkpoint = await this.#readCheckpoint(this.#options.readStore, run.projection, '');
      run.stored = checkpoint?.position ?? 0;
      run.status.position = run.stored;
      this.#goLive(run);
    } catch (error) {
      this.#fail(run, error);
    }
  }

  async #stopRun(run: Run): Promise<void> {
    run.subscription?.unsubscribe();
    run.subscription = null;
    if (run.retryTimer) clearTimeout(run.retryTimer);
    run.retryTimer = null;
    run.queue = [];
    await run.draining;
    run.status.state = 'stopped';
  }

  #view(session: ReadStoreSession, projection: Projection, suffix: string): ProjectionView {
    return {
      collection: <T extends Doc>(name: string) => {
        if (!(name in projection.collections)) {
          throw new Error(`Projection ${projection.name} does not own collection ${name}`);
        }
        return session.collection<T>(name + suffix);
      },
    };
  }

  #readCheckpoint(
    session: ReadStoreSession,
    projection: Projection,
    suffix: string,
  ): Promise<Checkpoint | null> {
    return session.collection<Checkpoint>(checkpointCollection(projection) + suffix).get(CHECKPOINT_ID);
  }

  #writeCheckpoint(session: ReadStoreSession, run: Run, suffix: string, position: number): Promise<void> {
    return session.collection<Checkpoint>(checkpointCollection(run.projection) + suffix).upsert({
      id: CHECKPOINT_ID,
      version: run.projection.version,
      position,
      updatedAt: new Date().toISOString(),
    });
  }
}

function checkpointCollection(projection: Projection): string {
  return `m3m_checkpoint_${projection.name}`;
}
