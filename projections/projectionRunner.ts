import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom, Subject, TimeoutError, timeout } from 'rxjs';
import type { EventSchemaRegistry } from '../application/commands/eventSchemas.ts';
import { upcastEvent } from '../application/commands/loadAggregate.ts';
import {
  EventFeed,
  type FeedConsumer,
  type FeedPage,
  passOnce,
  ResumeFromCheckpoint,
} from '../application/eventFeed.ts';
import type { EventStore, RecordedEvent } from '../application/ports/eventStore.ts';
import {
  type Doc,
  DuplicateKeyError,
  type ReadStore,
  type ReadStoreSession,
  TransactionLimitError,
} from '../application/ports/readStore.ts';
import { checkpointCollectionOf } from '../application/readModelMemo.ts';
import type { Projection, ProjectionView } from './projection.ts';

const REBUILD_SUFFIX = '__rebuild';
const CHECKPOINT_ID = 'checkpoint';
/** A rebuild with nothing to apply still stores how far it has looked this often (and renews its lease). */
const IDLE_CHECKPOINT_MS = 5000;
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

class LeaseLost extends Error {}

interface PendingSwap extends Doc {
  pairs: { from: string; to: string }[];
  startedAt: string;
}

export type ProjectionState =
  | 'idle'
  | 'catching_up'
  | 'rebuilding'
  | 'live'
  | 'retrying'
  | 'halted'
  | 'stopped';

export interface ProjectionStatus {
  name: string;
  version: number;
  state: ProjectionState;
  /** Every event up to this `$all` position has been applied (or skipped as irrelevant). */
  position: number;
  /** Seconds since it was last at the head of `$all` (0 while it is). */
  lagSeconds: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface RebuildProgress {
  /** The projection being rebuilt, or `N projections` when one pass rebuilds several. */
  projection: string;
  /** Events read from `$all` so far in this rebuild. */
  events: number;
  position: number;
  headPosition: number;
}

export interface RebuildSummary {
  projection: string;
  /** Events read from `$all` by the pass that rebuilt it (one pass for all rebuilt together). */
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
  /** The process's one follower of `$all`; a runner of its own when absent (tools, tests). */
  feed?: EventFeed;
  logger?: RunnerLogger;
  /** Events per read-store transaction at most, and per page of `$all` (default 1000). */
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
  status: Omit<ProjectionStatus, 'lagSeconds'>;
  /** A consumer of the feed now (not while it rebuilds or is stopped). */
  joined: boolean;
  /** The live checkpoint as this runner last read or wrote it. */
  stored: number;
  /** When a checkpoint (per suffix) was last written. */
  writtenAt: Map<string, number>;
  /** Events per transaction now: `batchSize`, halved each time the store gives up on a transaction as too big. */
  chunk: number;
  /** Events applied (committed) since the count was last reset: what a replay reports per projection. */
  applied: number;
}

const silentLogger: RunnerLogger = { info: () => {}, error: () => {} };

/**
 * What the rest of a process uses of its projections: the runner itself, or, on the HTTP thread when they run
 * in their own thread (ADR 30), its stand-in (`infrastructure/projectionThread`), which answers `status()` and
 * `waitFor` from what the thread reports and asks it for the rest.
 */
export interface Runner {
  readonly projectionNames: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  catchUp(): Promise<void>;
  replay(
    names?: readonly string[],
    onProgress?: (progress: RebuildProgress) => void,
  ): Promise<RebuildSummary[]>;
  status(): ProjectionStatus[];
  /** Resolves once every projection has processed `$all` up to `position`; rxjs's `TimeoutError` after `timeoutMs`. */
  waitFor(position: number, timeoutMs?: number): Promise<void>;
}

/**
 * Keeps every projection's read model in step with `$all`, each projection a consumer of the process's one
 * feed (`application/eventFeed.ts`). The checkpoint lives in a collection of the projection's own, written in
 * the same transaction as the model, and each batch re-reads it inside that transaction: an event at or below
 * the stored checkpoint is never applied twice, whoever else runs the projection, and a checkpoint that moved
 * backwards (another process swapped in a rebuild) makes this projection resume from it. Rebuilds fill
 * `<collection>__rebuild` under a lease, so one process at a time builds, in one pass over `$all` for all the
 * projections rebuilt together, and swap it in (checkpoint included) once caught up.
 */
export class ProjectionRunner implements Runner {
  readonly #options: Required<Omit<ProjectionRunnerOptions, 'logger' | 'feed'>> & { logger: RunnerLogger };
  readonly #runs = new Map<string, Run>();
  readonly #progress = new Subject<void>();
  /** Callers of `waitFor` not answered yet, woken as the projections move on. */
  readonly #waiters = new Set<{ position: number; names?: readonly string[]; resolve: () => void }>();
  readonly #feed: EventFeed;
  readonly #ownsFeed: boolean;
  #started = false;

  constructor(options: ProjectionRunnerOptions) {
    this.#options = { batchSize: 1000, maxBatchMs: 1000, logger: silentLogger, ...options };
    this.#ownsFeed = !options.feed;
    this.#feed =
      options.feed ??
      new EventFeed({
        eventStore: options.eventStore,
        logger: this.#options.logger,
        pageSize: this.#options.batchSize,
      });
    this.#progress.subscribe(() => this.#wakeWaiters());
    this.#feed.progress.subscribe(() => this.#progress.next());
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
        joined: false,
        stored: 0,
        writtenAt: new Map(),
        chunk: this.#options.batchSize,
        applied: 0,
      });
    }
  }

  get projectionNames(): string[] {
    return [...this.#runs.keys()];
  }

  /**
   * Rebuilds those whose version changed (one pass), then joins the feed, which catches every projection up
   * from the lowest checkpoint in one pass and follows `$all` live. Resolves once all reached the head as it
   * was at the call; rejects when one fails before.
   */
  async start(): Promise<void> {
    this.#started = true;
    const runs = [...this.#runs.values()];
    const rebuild = await this.#prepareAll(runs);
    if (rebuild.length > 0) await this.#rebuildAll(rebuild, { resume: true });
    const head = await this.#options.eventStore.headPosition();
    await this.#join(runs);
    this.#feed.start();
    await this.#reach(head);
  }

  /** Catches every projection up once, in one pass, without following (tools that exit afterwards). */
  async catchUp(): Promise<void> {
    const runs = [...this.#runs.values()];
    const rebuild = await this.#prepareAll(runs);
    if (rebuild.length > 0) await this.#rebuildAll(rebuild, { resume: true });
    await passOnce({
      eventStore: this.#options.eventStore,
      pageSize: this.#options.batchSize,
      consumers: runs.map((run) => ({
        name: run.projection.name,
        eventTypes: run.projection.eventTypes,
        position: run.stored,
        handle: (page) => this.#applyPage(run, '', page),
      })),
    });
    for (const run of runs) run.status.state = 'idle';
  }

  /**
   * Rebuilds the named projections (all when none is named) in one pass over `$all` and swaps each in.
   * `onProgress` follows the pass.
   */
  async replay(
    names?: readonly string[],
    onProgress?: (progress: RebuildProgress) => void,
  ): Promise<RebuildSummary[]> {
    const selected = names?.length ? [...new Set(names)] : this.projectionNames;
    const unknown = selected.filter((name) => !this.#runs.has(name));
    if (unknown.length > 0) {
      throw new Error(
        `Unknown projection: ${unknown.join(', ')} (known: ${this.projectionNames.join(', ')})`,
      );
    }
    const runs = selected.map((name) => this.#runs.get(name)!);
    await this.#leave(runs);
    for (const run of runs) run.applied = 0;
    const startedAt = performance.now();
    const events = await this.#rebuildAll(runs, { resume: false, onProgress });
    const durationMs = performance.now() - startedAt;
    if (this.#started) await this.#join(runs);
    else for (const run of runs) run.status.state = 'idle';
    return runs.map((run) => ({ projection: run.projection.name, events, applied: run.applied, durationMs }));
  }

  status(): ProjectionStatus[] {
    return [...this.#runs.values()].map((run) => {
      const consumer = run.joined ? this.#feed.statusOf(run.projection.name) : null;
      if (!consumer) return { ...run.status, lagSeconds: 0 };
      return {
        ...run.status,
        state: consumer.state === 'starting' ? 'catching_up' : consumer.state,
        position: consumer.position,
        lagSeconds: consumer.lagSeconds,
        lastError: consumer.lastError ?? run.status.lastError,
        lastErrorAt: consumer.lastErrorAt ?? run.status.lastErrorAt,
      };
    });
  }

  /** Resolves once every projection (or those of `names`) has processed `$all` up to `position`. */
  async waitFor(position: number, timeoutMs = 10_000, names?: readonly string[]): Promise<void> {
    // Called for every event the runtime subscriber handles and after every write answered over HTTP: the
    // lowest position is worked out without building the status, and waiters share one check per progress.
    if (this.#lowest(names) >= position) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        position,
        ...(names ? { names } : {}),
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
  }

  /** The position every projection (of `names`) has processed `$all` up to: the lowest of `status()`'s, as cheaply. */
  #lowest(names?: readonly string[]): number {
    let lowest = Number.POSITIVE_INFINITY;
    for (const run of this.#runs.values()) {
      if (names && !names.includes(run.projection.name)) continue;
      const position =
        (run.joined ? this.#feed.positionOf(run.projection.name) : null) ?? run.status.position;
      if (position < lowest) lowest = position;
    }
    return lowest;
  }

  #wakeWaiters(): void {
    if (this.#waiters.size === 0) return;
    const lowest = this.#lowest();
    for (const waiter of this.#waiters) {
      if (waiter.position > (waiter.names ? this.#lowest(waiter.names) : lowest)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }

  async stop(): Promise<void> {
    this.#started = false;
    await this.#leave([...this.#runs.values()]);
    if (this.#ownsFeed) await this.#feed.stop();
    for (const run of this.#runs.values()) run.status.state = 'stopped';
  }

  /** Waits until every projection reached `position`; rejects with the error of one that fails first. */
  async #reach(position: number): Promise<void> {
    for (;;) {
      const status = this.status();
      if (status.every((run) => run.position >= position)) return;
      const failing = status.find((run) => run.state === 'retrying');
      if (failing) throw new Error(`Projection ${failing.name} failed: ${failing.lastError}`);
      const halted = this.#feed.halted;
      if (halted) return;
      await firstValueFrom(this.#progress.pipe(timeout({ first: 50, with: () => [undefined] })));
    }
  }

  async #join(runs: readonly Run[]): Promise<void> {
    for (const run of runs) run.joined = true;
    await this.#feed.join(runs.map((run) => this.#consumer(run)));
  }

  async #leave(runs: readonly Run[]): Promise<void> {
    const joined = runs.filter((run) => run.joined);
    for (const run of joined) run.joined = false;
    const positions = joined.map((run) => this.#feed.statusOf(run.projection.name)?.position ?? 0);
    await this.#feed.leave(joined.map((run) => run.projection.name));
    // Pages with none of its events moved it on in memory only; store that, so a restart does not scan again.
    await Promise.all(
      joined.map(async (run, i) => {
        if (positions[i]! <= run.stored) return;
        await this.#applyChunk(run, '', [], positions[i]!).catch((err: unknown) =>
          this.#options.logger.error(
            { projection: run.projection.name, err },
            'could not store the checkpoint',
          ),
        );
      }),
    );
  }

  #consumer(run: Run): FeedConsumer {
    return {
      name: run.projection.name,
      eventTypes: run.projection.eventTypes,
      resume: async () => {
        const checkpoint = await this.#readCheckpoint(this.#options.readStore, run.projection, '');
        run.stored = checkpoint?.position ?? 0;
        run.status.position = run.stored;
        return run.stored;
      },
      handle: (page) => this.#applyPage(run, '', page),
    };
  }

  /** Finishes interrupted swaps and reads each checkpoint; returns the projections whose version changed. */
  async #prepareAll(runs: readonly Run[]): Promise<Run[]> {
    const rebuild: Run[] = [];
    for (const run of runs) {
      if (!(await this.#prepare(run))) rebuild.push(run);
    }
    return rebuild;
  }

  /** `true` when the stored model is of the projection's version (`run.stored` is then its checkpoint). */
  async #prepare(run: Run): Promise<boolean> {
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
      // Only now: a log table left by an older version may have other columns until the rebuild replaces it.
      for (const [name, spec] of Object.entries(run.projection.logTables ?? {})) {
        await readStore.ensureLogTable(name, spec);
      }
      run.stored = checkpoint.position;
      run.status.position = checkpoint.position;
      run.status.state = 'catching_up';
      return true;
    }
    this.#options.logger.info(
      { projection: run.projection.name, from: checkpoint?.version ?? null, to: run.projection.version },
      'projection version changed: rebuilding',
    );
    return false;
  }

  /**
   * Rebuilds `runs` into their `__rebuild` collections in one pass over `$all`, each under its lease, and swaps
   * each in. With `resume`, a rebuild cut off earlier continues from its checkpoint, and one another process
   * finished meanwhile is taken as it is. Returns the events read.
   */
  async #rebuildAll(
    runs: readonly Run[],
    options: { resume: boolean; onProgress?: (p: RebuildProgress) => void },
  ): Promise<number> {
    const { readStore, eventStore } = this.#options;
    const leases = new Map<Run, string>();
    try {
      const building: { run: Run; from: number }[] = [];
      // Taken in one order by every process, so two replays never wait on each other's leases.
      const ordered = [...runs].sort((a, b) => a.projection.name.localeCompare(b.projection.name));
      for (const run of ordered) {
        const { projection } = run;
        const lease = await this.#acquireLease(projection);
        leases.set(run, lease);
        if (options.resume) {
          // Another process may have finished the same rebuild while we waited for the lease.
          const live = await this.#readCheckpoint(readStore, projection, '');
          if (live?.version === projection.version) {
            run.stored = live.position;
            run.status.position = live.position;
            run.status.state = 'catching_up';
            continue;
          }
        }
        // A swap cut off earlier must complete before its sources are dropped or written again.
        await this.#finishSwap(projection, lease);
        let from = 0;
        const previous = await this.#readCheckpoint(readStore, projection, REBUILD_SUFFIX);
        if (options.resume && previous?.version === projection.version) {
          from = previous.position;
        } else {
          for (const name of this.#swapPairs(projection).map((pair) => pair.from)) {
            await readStore.dropCollection(name);
          }
        }
        for (const [name, indexes] of Object.entries(projection.collections)) {
          await readStore.ensureIndexes(
            name + REBUILD_SUFFIX,
            projection.indexesOnlyForQueries ? [] : indexes,
          );
        }
        for (const [name, spec] of Object.entries(projection.logTables ?? {})) {
          await readStore.ensureLogTable(name + REBUILD_SUFFIX, spec, {
            withIndexes: !projection.indexesOnlyForQueries,
          });
        }
        run.status.state = 'rebuilding';
        run.status.position = from;
        building.push({ run, from });
      }
      if (building.length === 0) return 0;
      const headPosition = await eventStore.headPosition();
      const label =
        building.length === 1 ? building[0]!.run.projection.name : `${building.length} projections`;
      const events = await passOnce({
        eventStore,
        pageSize: this.#options.batchSize,
        consumers: building.map(({ run, from }) => ({
          name: run.projection.name,
          eventTypes: run.projection.eventTypes,
          position: from,
          handle: (page) => this.#applyPage(run, REBUILD_SUFFIX, page, leases.get(run)),
        })),
        onPage: (read, position) =>
          options.onProgress?.({ projection: label, events: read, position, headPosition }),
      });
      for (const { run } of building) await this.#swapIn(run, leases.get(run)!, events);
      return events;
    } finally {
      for (const [run, lease] of leases) await this.#releaseLease(run.projection, lease);
    }
  }

  #swapPairs(projection: Projection): { from: string; to: string }[] {
    return [
      ...Object.keys(projection.collections),
      ...Object.keys(projection.logTables ?? {}),
      checkpointCollection(projection),
    ].map((name) => ({
      from: name + REBUILD_SUFFIX,
      to: name,
    }));
  }

  /**
   * Writes the rebuilt model's checkpoint (an empty `$all` leaves none behind) and records the swap with it:
   * MongoDB renames one collection at a time, and a swap cut off half-way (a crash, a lost connection) leaves
   * a model that is part old, part new until it is repeated. Then swaps.
   */
  async #swapIn(run: Run, lease: string, events: number): Promise<void> {
    const { projection } = run;
    if (projection.indexesOnlyForQueries) {
      // Loaded without them (one sort each now, not an index insert per event); before the swap is recorded.
      for (const [name, indexes] of Object.entries(projection.collections)) {
        await this.#options.readStore.ensureIndexes(name + REBUILD_SUFFIX, indexes);
      }
      for (const [name, spec] of Object.entries(projection.logTables ?? {})) {
        await this.#options.readStore.ensureLogTable(name + REBUILD_SUFFIX, spec);
      }
    }
    await this.#options.readStore.transaction(async (session) => {
      await this.#renewLease(session, projection, lease);
      await this.#writeCheckpoint(session, run, REBUILD_SUFFIX, run.status.position);
      await session.collection<PendingSwap>(SWAPS).upsert({
        id: projection.name,
        pairs: this.#swapPairs(projection),
        startedAt: new Date().toISOString(),
      });
    });
    await this.#finishSwap(projection, lease);
    run.stored = run.status.position;
    this.#options.logger.info({ projection: projection.name, events }, 'projection rebuilt');
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
      const taken = await this.#options.readStore
        .transaction(async (session) => {
          const leases = session.collection<Lease>(LEASES);
          const current = await leases.get(projection.name);
          if (current && current.owner !== owner && current.expiresAt > Date.now()) return false;
          const lease = { id: projection.name, owner, expiresAt: Date.now() + LEASE_MS };
          // No lease to lock (PostgreSQL locks rows, not their absence): of two processes that found none, the
          // second one's insert fails instead of overwriting the first one's lease.
          if (current) await leases.upsert(lease);
          else await leases.insert(lease);
          return true;
        })
        .catch((error: unknown) => {
          if (error instanceof DuplicateKeyError) return false;
          throw error;
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

  /**
   * Applies one page of the feed (only events of the projection's types). A page with none moves the position
   * in memory only: live, the checkpoint follows when the projection leaves the feed (a write per projection
   * for each event of another's would slow every write that waits for the read models); a rebuild stores it
   * at most every `IDLE_CHECKPOINT_MS`, which keeps its lease renewed.
   */
  async #applyPage(run: Run, suffix: string, page: FeedPage, lease?: string): Promise<void> {
    const idle = !suffix || Date.now() - (run.writtenAt.get(suffix) ?? 0) < IDLE_CHECKPOINT_MS;
    if (page.events.length === 0 && idle) {
      run.status.position = Math.max(run.status.position, page.upTo);
      if (!run.joined) this.#progress.next();
      return;
    }
    await this.#applyBatch(run, suffix, page.events, page.upTo, lease);
  }

  /**
   * Applies `batch` in as many transactions as it takes: each stops taking events after `maxBatchMs`, and one
   * the store gave up on (too long, too large) is tried again with half as many events, down to one. The last
   * stores `upTo` as the checkpoint.
   */
  async #applyBatch(
    run: Run,
    suffix: string,
    batch: readonly RecordedEvent[],
    upTo: number,
    lease?: string,
  ): Promise<void> {
    let rest = batch;
    do {
      let covered: number;
      try {
        covered = await this.#applyChunk(
          run,
          suffix,
          rest.slice(0, run.chunk),
          rest.length <= run.chunk ? upTo : null,
          lease,
        );
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
    } while (rest.length > 0);
  }

  /**
   * One transaction over the first events of `chunk`; returns how many it covered (at least one, unless the
   * chunk is empty). When it covers them all and `upTo` is given, the checkpoint moves to `upTo`.
   */
  async #applyChunk(
    run: Run,
    suffix: string,
    chunk: readonly RecordedEvent[],
    upTo: number | null,
    lease?: string,
  ): Promise<number> {
    let covered = chunk.length;
    let reached = 0;
    let applied = 0;
    const written = await this.#options.readStore.transaction(async (session) => {
      const started = performance.now();
      if (lease) await this.#renewLease(session, run.projection, lease);
      const stored = (await this.#readCheckpoint(session, run.projection, suffix))?.position ?? 0;
      if (!lease && stored < run.stored) {
        throw new ResumeFromCheckpoint(`checkpoint of ${run.projection.name} moved back to ${stored}`);
      }
      const view = this.#view(session, run.projection, suffix);
      covered = 0;
      applied = 0;
      const { applyPage } = run.projection;
      if (applyPage) {
        // The projection folds the chunk itself (e.g. one write per goal rather than per increment).
        const events = chunk
          .filter((event) => event.position > stored && run.relevant(event.type))
          .map((event) => upcastEvent(this.#options.schemas, event));
        if (events.length > 0) await applyPage.call(run.projection, events, view);
        covered = chunk.length;
        applied = events.length;
      } else {
        for (const event of chunk) {
          if (covered > 0 && performance.now() - started >= this.#options.maxBatchMs) break;
          covered += 1;
          if (event.position <= stored || !run.relevant(event.type)) continue;
          await run.projection.apply(upcastEvent(this.#options.schemas, event), view);
          applied += 1;
        }
      }
      reached = covered === chunk.length && upTo !== null ? upTo : chunk[covered - 1]!.position;
      const position = Math.max(stored, reached);
      await this.#writeCheckpoint(session, run, suffix, position);
      return position;
    });
    // Counted once committed: a transaction the store gave up on is tried again with fewer events.
    run.applied += applied;
    run.writtenAt.set(suffix, Date.now());
    if (!lease) run.stored = written;
    run.status.position = Math.max(run.status.position, reached);
    if (!run.joined) this.#progress.next();
    return covered;
  }

  async #renewLease(session: ReadStoreSession, projection: Projection, owner: string): Promise<void> {
    const leases = session.collection<Lease>(LEASES);
    if ((await leases.get(projection.name))?.owner !== owner) {
      throw new LeaseLost(`Rebuild of ${projection.name}: lease lost (another process took over)`);
    }
    await leases.upsert({ id: projection.name, owner, expiresAt: Date.now() + LEASE_MS });
  }

  #view(session: ReadStoreSession, projection: Projection, suffix: string): ProjectionView {
    return {
      collection: <T extends Doc>(name: string) => {
        if (!(name in projection.collections)) {
          throw new Error(`Projection ${projection.name} does not own collection ${name}`);
        }
        return session.collection<T>(name + suffix);
      },
      logTable: (name) => {
        const spec = projection.logTables?.[name];
        if (!spec) throw new Error(`Projection ${projection.name} does not own log table ${name}`);
        return session.logTable(name + suffix, spec);
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
  return checkpointCollectionOf(projection.name);
}

export { checkpointCollectionOf };
