import { randomUUID } from 'node:crypto';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { Observable, Subject } from 'rxjs';
import {
  type AppendResult,
  assertAppendable,
  assertRevision,
  checkedPositions,
  DEFAULT_PAGE,
  type EventFilter,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  pageSize,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamWrite,
  type SubscribeAllOptions,
  startPosition,
  WrongExpectedRevisionError,
} from '../../application/ports/eventStore.ts';
import { makePrivateDatabaseFile } from '../files/privateFiles.ts';
import { type ChainVerdict, type ChainWriter, openChain, verifyEventChain } from './sqliteEventChain.ts';
import { type EventRows, openEventRows, type PreparedRow } from './sqliteEventRows.ts';

/** Streams whose last revision the store remembers between groups (cleared when full). */
const MAX_REMEMBERED_HEADS = 50_000;

export interface SqliteEventStoreOptions {
  /** File path (parent folders are created) or `:memory:`. */
  path: string;
  /** How often live subscriptions look for commits made by other connections. Default 200 ms. */
  pollIntervalMs?: number;
}

/** One caller's append: a single stream's, or several streams' written all or nothing (`appendAtomically`). */
interface QueuedAppend {
  writes: readonly StreamWrite[];
  resolve(results: AppendResult[]): void;
  reject(error: unknown): void;
}

export function openSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  if (options.path !== ':memory:') makePrivateDatabaseFile(options.path);
  return new SqliteEventStore(options);
}

export class SqliteEventStore implements EventStore {
  readonly #db: DatabaseSync;
  readonly #pollIntervalMs: number;
  /** Ticks after every commit, ours (immediately) or another connection's (polled). */
  readonly #changes = new Subject<void>();
  /** Appends waiting for the group commit of this turn of the event loop. */
  #queued: QueuedAppend[] = [];
  #listeners = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  #dataVersion = 0;
  #closed = false;

  readonly #rows: EventRows;
  readonly #dataVersionStmt: StatementSync;
  readonly #chain: ChainWriter;
  /**
   * What this connection knows of the file's tail between its own write transactions: each stream's last revision
   * and position, and the chain's head link. Trusted only while no other connection has committed since our last
   * commit (`PRAGMA data_version`, read once per group under the write lock); else forgotten and read again.
   */
  readonly #heads = new Map<string, { revision: number; position: number }>();
  #chainHead: Uint8Array | undefined;
  /** `data_version` as of our last commit; `undefined`: nothing remembered. */
  #headsVersion: number | undefined;

  constructor(options: SqliteEventStoreOptions) {
    this.#pollIntervalMs = options.pollIntervalMs ?? 200;
    this.#db = new DatabaseSync(options.path, { timeout: 5000 });
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA busy_timeout = 5000');
    // NORMAL in WAL mode can lose the last commits on power loss but never corrupts the file.
    this.#db.exec('PRAGMA synchronous = NORMAL');
    // No AUTOINCREMENT in new files (ADR 0019): a new position is the largest plus one, and events are never
    // deleted, so positions only grow. Files made with it, or with text rows (ADR 0024), keep their table.
    this.#rows = openEventRows(this.#db);
    this.#chain = openChain(this.#db, this.#rows);
    this.#dataVersionStmt = this.#db.prepare('PRAGMA data_version');
  }

  /**
   * Group commit: appends made in one turn of the event loop are queued and written by one transaction at the
   * next `setImmediate`, each inside its own savepoint so that one expected-revision conflict (or any error of
   * its own) rolls back only that append. Every caller is answered once the transaction holding its events has
   * committed, and live subscriptions are woken once per group. One WAL commit for many requests is what lets
   * the increment path keep up with a plain SQLite `UPDATE` (docs/adr/0019-increment-path-and-replay.md).
   */
  append(
    streamId: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    try {
      this.#assertOpen();
      assertAppendable(events, options.expectedRevision);
    } catch (error) {
      return Promise.reject(error);
    }
    const write = { streamId, events, expectedRevision: options.expectedRevision };
    return this.#enqueue([write]).then((results) => results[0]!);
  }

  /**
   * Several streams in one savepoint of the group's transaction: every expectation holds and every event is
   * written, or nothing is (a slug or email reservation with the events it guards).
   */
  appendAtomically(writes: readonly StreamWrite[]): Promise<AppendResult[]> {
    try {
      this.#assertOpen();
      if (new Set(writes.map((w) => w.streamId)).size !== writes.length)
        throw new RangeError('appendAtomically: each stream may appear only once');
      for (const write of writes) assertAppendable(write.events, write.expectedRevision);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#enqueue(writes);
  }

  #enqueue(writes: readonly StreamWrite[]): Promise<AppendResult[]> {
    return new Promise<AppendResult[]>((resolve, reject) => {
      this.#queued.push({ writes, resolve, reject });
      if (this.#queued.length === 1) setImmediate(() => this.#commitQueued());
    });
  }

  /** Writes every queued append in one IMMEDIATE transaction (the write lock taken up front, even against other processes). */
  #commitQueued(): void {
    const group = this.#queued;
    if (group.length === 0) return;
    this.#queued = [];
    if (this.#closed) {
      for (const append of group) append.reject(new Error('SQLite event store is closed'));
      return;
    }
    const outcomes: ({ ok: AppendResult[] } | { error: unknown })[] = [];
    let wrote = false;
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      this.#trustHeads();
      const savepoints = group.length > 1;
      for (const append of group) {
        let prepared: PreparedRow[][];
        try {
          // Interns names and encodes outside the savepoint: data that does not serialize fails its append only.
          prepared = append.writes.map((write) =>
            write.events.map((event) =>
              this.#rows.prepare(write.streamId, { ...event, id: event.id ?? randomUUID() }),
            ),
          );
        } catch (error) {
          if (!savepoints) throw error;
          outcomes.push({ error });
          continue;
        }
        if (savepoints) this.#db.exec('SAVEPOINT append');
        try {
          const results = append.writes.map((write, i) => this.#write(write, prepared[i]!));
          if (savepoints) this.#db.exec('RELEASE append');
          if (append.writes.some((write) => write.events.length > 0)) wrote = true;
          outcomes.push({ ok: results });
        } catch (error) {
          if (!savepoints) throw error;
          // Undoes this append's inserts only; the transaction and the others' stay.
          this.#db.exec('ROLLBACK TO append');
          this.#db.exec('RELEASE append');
          // What it may have remembered of its streams and the chain is read again from the file.
          for (const write of append.writes) this.#heads.delete(write.streamId);
          this.#chainHead = undefined;
          outcomes.push({ error });
        }
      }
      this.#db.exec('COMMIT');
      // Our own commit leaves our connection's data_version as it was: the heads stay trusted.
    } catch (error) {
      this.#forgetHeads();
      if (this.#db.isOpen && this.#db.isTransaction) this.#db.exec('ROLLBACK');
      this.#rows.rolledBack();
      // Nothing of the group is stored: every caller hears why (for a single append, its own error).
      for (const append of group) append.reject(error);
      return;
    }
    group.forEach((append, i) => {
      const outcome = outcomes[i]!;
      if ('ok' in outcome) append.resolve(outcome.ok);
      else append.reject(outcome.error);
    });
    if (wrote) this.#changes.next();
  }

  /** One stream's revision check and inserts, inside the group's transaction. */
  #write({ streamId, expectedRevision: expected }: StreamWrite, rows: readonly PreparedRow[]): AppendResult {
    let last = this.#heads.get(streamId);
    if (last === undefined) {
      last = this.#rows.lastOfStream(streamId);
      if (last !== undefined) this.#rememberHead(streamId, last);
    }
    const actual = last ? last.revision : null;
    if (!revisionMatches(expected, actual)) {
      throw new WrongExpectedRevisionError(streamId, expected, actual);
    }
    if (rows.length === 0) return { nextRevision: actual ?? -1, position: last?.position ?? 0 };
    let revision = actual ?? -1;
    let position = 0;
    let link = this.#chainHead ?? this.#chain.head();
    // Forgotten while this append writes: an insert that fails leaves the head to be read again.
    this.#chainHead = undefined;
    this.#heads.delete(streamId);
    for (const row of rows) {
      revision += 1;
      position = this.#rows.insert(row, revision);
      link = this.#chain.link(link, position, streamId, revision, row);
    }
    this.#chainHead = link;
    this.#rememberHead(streamId, { revision, position });
    return { nextRevision: revision, position };
  }

  /**
   * Called first in each write transaction (the write lock held): another connection (another process on the
   * file) that committed since our last commit may have appended to any stream or to the chain, so what we
   * remember is dropped; `PRAGMA data_version` changes exactly when another connection commits.
   */
  #trustHeads(): void {
    const version = this.#readDataVersion();
    if (version !== this.#headsVersion) {
      this.#heads.clear();
      this.#chainHead = undefined;
      this.#headsVersion = version;
    }
  }

  #forgetHeads(): void {
    this.#heads.clear();
    this.#chainHead = undefined;
    this.#headsVersion = undefined;
  }

  #rememberHead(streamId: string, head: { revision: number; position: number }): void {
    // Bounded: a million one-event streams must not all stay in memory.
    if (this.#heads.size >= MAX_REMEMBERED_HEADS) this.#heads.clear();
    this.#heads.set(streamId, head);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    return this.#rows.readStream(streamId, options.fromRevision ?? 0, options.limit ?? -1);
  }

  async readEvent(streamId: string, revision: number): Promise<RecordedEvent | null> {
    this.#assertOpen();
    assertRevision(revision);
    return this.#rows.readEvent(streamId, revision);
  }

  async readPositions(positions: readonly number[]): Promise<RecordedEvent[]> {
    this.#assertOpen();
    return this.#rows.atPositions(checkedPositions(positions));
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    return this.#page(
      startPosition(options.fromPosition),
      Number.MAX_SAFE_INTEGER,
      options.filter,
      pageSize(options.limit),
    );
  }

  subscribeAll(options: SubscribeAllOptions = {}): Observable<RecordedEvent> {
    return new Observable<RecordedEvent>((subscriber) => {
      if (this.#closed) {
        subscriber.error(new Error('SQLite event store is closed'));
        return;
      }
      let after: number;
      try {
        after = startPosition(options.fromPosition);
      } catch (error) {
        subscriber.error(error);
        return;
      }
      let checkpoint = after;
      let draining = false;
      let again = false;

      // Reads from the last delivered position until a short page, so the catch-up/live switch is just
      // "no more rows right now": a commit that lands meanwhile re-triggers it, and it resumes where it stopped.
      const drain = async (): Promise<void> => {
        if (draining) {
          again = true;
          return;
        }
        draining = true;
        try {
          do {
            again = false;
            for (;;) {
              // Yielding per page keeps a long catch-up from starving the event loop.
              await new Promise((resolve) => setImmediate(resolve));
              if (subscriber.closed || this.#closed) return;
              // Writers are serialized, so positions are assigned in commit order: once everything up to `head`
              // has been read, nothing at or below it can appear later, and filtered scans need not repeat it.
              const head = this.#rows.maxPosition();
              const page = this.#page(after, head, options.filter, DEFAULT_PAGE);
              for (const event of page) {
                if (subscriber.closed) return;
                after = event.position;
                subscriber.next(event);
              }
              if (page.length < DEFAULT_PAGE) {
                after = Math.max(after, head);
                if (options.onCheckpoint && after > checkpoint) {
                  checkpoint = after;
                  options.onCheckpoint(after);
                }
                break;
              }
            }
          } while (again);
        } catch (error) {
          subscriber.error(error);
        } finally {
          draining = false;
        }
      };

      const wake = this.#changes.subscribe({
        next: () => void drain(),
        complete: () => subscriber.complete(),
      });
      this.#addListener();
      void drain();
      return () => {
        wake.unsubscribe();
        this.#removeListener();
      };
    });
  }

  /** Checks the tamper-evidence chain from the first event (`m3m audit verify`). */
  verifyChain(): ChainVerdict {
    this.#assertOpen();
    // One read transaction: the walk sees one snapshot even while another process appends.
    this.#db.exec('BEGIN');
    try {
      return verifyEventChain(this.#db, this.#rows);
    } finally {
      this.#db.exec('COMMIT');
    }
  }

  /** Looks for another connection's commits now (the port's `wake`): what the poll does every `pollIntervalMs`. */
  wake(): boolean {
    if (this.#closed || this.#listeners === 0) return false;
    return this.#poll();
  }

  async headPosition(): Promise<number> {
    this.#assertOpen();
    return this.#rows.headPosition();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Appends already accepted are written (or refused) before the connection goes.
    this.#commitQueued();
    this.#closed = true;
    this.#stopPolling();
    this.#changes.complete();
    this.#db.close();
  }

  #page(after: number, upTo: number, filter: EventFilter | undefined, limit: number): RecordedEvent[] {
    if (filter?.eventTypes?.length === 0 || filter?.streamPrefixes?.length === 0) return [];
    return this.#rows.page(after, upTo, filter, limit);
  }

  /** Which row layout this file has (ADR 0024): `text` for a file made before compact rows. */
  get layout(): 'text' | 'compact' {
    return this.#rows.layout;
  }

  #addListener(): void {
    this.#listeners += 1;
    if (this.#pollTimer || this.#closed) return;
    // The baseline is taken before the first drain reads, so a foreign commit in between is still noticed.
    this.#dataVersion = this.#readDataVersion();
    this.#pollTimer = setInterval(() => this.#poll(), this.#pollIntervalMs);
    this.#pollTimer.unref();
  }

  #removeListener(): void {
    this.#listeners -= 1;
    if (this.#listeners === 0) this.#stopPolling();
  }

  #stopPolling(): void {
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  /** `data_version` changes only when another connection commits: our own appends notify directly. */
  #poll(): boolean {
    try {
      const version = this.#readDataVersion();
      if (version === this.#dataVersion) return false;
      this.#dataVersion = version;
    } catch {
      // Wake the subscribers anyway: their own read reports a lasting failure as an error.
    }
    this.#changes.next();
    return true;
  }

  #readDataVersion(): number {
    return (this.#dataVersionStmt.get() as { data_version: number }).data_version;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('SQLite event store is closed');
  }
}

function revisionMatches(expected: ExpectedRevision, actual: number | null): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === null;
    case 'stream_exists':
      return actual !== null;
    default:
      return actual === expected;
  }
}
