import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Observable, Subject } from 'rxjs';
import {
  type AppendResult,
  assertAppendable,
  assertRevision,
  checkedPositions,
  DEFAULT_PAGE,
  type EventFilter,
  type EventMetadata,
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
import { migrate } from '../postgres/migrations.ts';
import { openPool, SQLSTATE, sqlState } from '../postgres/pool.ts';
import { CONFLICT_SQLSTATE, EVENT_STORE_MIGRATIONS } from './postgresEventSchema.ts';

export interface PostgresEventStoreOptions {
  url: string;
  /**
   * How often live subscriptions check for events when no notification came: the fallback for a lost
   * LISTEN connection and for events held back by a transaction that sends no notification. Default 1 s.
   */
  pollIntervalMs?: number;
  /** Connections of the pool. Default 10. */
  maxConnections?: number;
  /** Where a lost LISTEN connection or a failed idle connection is reported. Default: ignored. */
  onError?: (error: Error) => void;
}

const CHANNEL = 'm3m_events';
const KNOWN_REVISIONS = 10_000;
const COLUMNS = 'position, stream_id, revision, id, type, data, metadata';
/** Only events whose transaction is older than every one still in flight: see ADR 12. */
const SETTLED = 'transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))';

/** Appends per group commit at most, and groups committing at once (see `#flush`). */
const MAX_GROUP = 500;
const MAX_GROUPS_IN_FLIGHT = 2;

/** One caller's append waiting for its group commit. */
interface QueuedAppend {
  writes: readonly StreamWrite[];
  /** Queued again after a deadlock with another group (once). */
  retried?: boolean;
  resolve(results: AppendResult[]): void;
  reject(error: unknown): void;
}

interface GroupRow {
  append_no: number;
  next_revision: string | null;
  last_position: string | null;
  error_code: string | null;
  error_detail: string | null;
}

interface EventRow {
  position: string;
  stream_id: string;
  revision: string;
  id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
}

/** Creates or migrates the schema, then opens the store. */
export async function openPostgresEventStore(
  options: PostgresEventStoreOptions,
): Promise<PostgresEventStore> {
  const onError = options.onError ?? (() => {});
  const pool = openPool(
    { url: options.url, max: options.maxConnections, applicationName: 'm3m event store' },
    onError,
  );
  try {
    await migrate(pool, 'event_store', EVENT_STORE_MIGRATIONS);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  return new PostgresEventStore(pool, options.url, options.pollIntervalMs ?? 1000, onError);
}

export class PostgresEventStore implements EventStore {
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #pollIntervalMs: number;
  readonly #onError: (error: Error) => void;
  /** Ticks when there may be new settled events: our own append, a notification, a poll that saw a change. */
  readonly #changes = new Subject<void>();
  #listeners = 0;
  #listener: pg.Client | undefined;
  #listening: Promise<void> | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #lastSeenHead = -1;
  #notifying: Promise<void> | undefined;
  #notifyAgain = false;
  #closed = false;
  /** Recently written streams and their revision, oldest first (bounded). */
  readonly #knownRevisions = new Map<string, number>();
  /** The last append queued per stream in this process. */
  readonly #streamTurns = new Map<string, Promise<void>>();
  /** Appends waiting for their group commit. */
  #queued: QueuedAppend[] = [];
  #inFlight = 0;

  constructor(pool: pg.Pool, url: string, pollIntervalMs: number, onError: (error: Error) => void) {
    this.#pool = pool;
    this.#url = url;
    this.#pollIntervalMs = pollIntervalMs;
    this.#onError = onError;
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const expected = options.expectedRevision;
    assertAppendable(events, expected);
    this.#assertOpen();
    if (events.length === 0) {
      // A check needs no transaction: there is nothing to guard once the answer is given.
      const last = await this.#lastOfStream(streamId);
      const actual = last?.revision ?? null;
      if (!revisionMatches(expected, actual))
        throw new WrongExpectedRevisionError(streamId, expected, actual);
      return { nextRevision: actual ?? -1, position: last?.position ?? 0 };
    }
    // Appends to one stream from this process take turns: one that waited behind another is then often
    // known to be stale and fails without a round trip, instead of contending for the row on the server.
    const previous = this.#streamTurns.get(streamId) ?? Promise.resolve();
    const turn = previous.then(() =>
      this.appendAtomically([{ streamId, events, expectedRevision: expected }]),
    );
    const settled = turn.then(
      () => {},
      () => {},
    );
    this.#streamTurns.set(streamId, settled);
    void settled.then(() => {
      if (this.#streamTurns.get(streamId) === settled) this.#streamTurns.delete(streamId);
    });
    const [result] = await turn;
    return result!;
  }

  /**
   * Appends to several streams in one transaction: every expectation holds and every event is written, or
   * nothing is. A write with no events only guards its stream's expectation until the others are written.
   */
  async appendAtomically(writes: readonly StreamWrite[]): Promise<AppendResult[]> {
    this.#assertOpen();
    const streams = new Set(writes.map((w) => w.streamId));
    if (streams.size !== writes.length)
      throw new RangeError('appendAtomically: each stream may appear only once');
    for (const write of writes) {
      assertAppendable(write.events, write.expectedRevision);
      this.#refuseKnownStale(write);
    }
    const results = await new Promise<AppendResult[]>((resolve, reject) => {
      this.#queued.push({ writes, resolve, reject });
      if (this.#queued.length === 1 && this.#inFlight < MAX_GROUPS_IN_FLIGHT)
        setImmediate(() => this.#flush());
    });
    for (const [i, write] of writes.entries()) this.#remember(write.streamId, results[i]!.nextRevision);
    return results;
  }

  /**
   * Group commit, as the SQLite store does it: the appends queued in one turn of the event loop (and while
   * earlier groups were committing) go to the server as one statement in one transaction, each append in a
   * subtransaction of its own (`m3m_append_group`), so the whole group costs one round trip and one WAL flush.
   * At most MAX_GROUPS_IN_FLIGHT groups are committing at once: appends that arrive meanwhile gather into the next.
   */
  #flush(): void {
    const group = this.#queued.splice(0, MAX_GROUP);
    if (group.length === 0) return;
    this.#inFlight += 1;
    const done = () => {
      this.#inFlight -= 1;
      if (this.#queued.length > 0 && this.#inFlight < MAX_GROUPS_IN_FLIGHT) this.#flush();
    };
    const written = group.length === 1 ? this.#appendOne(group[0]!) : this.#appendGroup(group);
    void written.then((wrote) => {
      if (wrote) this.#announce();
      done();
    });
  }

  /** One append alone: `m3m_append`. Resolves whether events were written. */
  async #appendOne(append: QueuedAppend): Promise<boolean> {
    const { writes } = append;
    const events = writes.flatMap((w) => w.events);
    try {
      const { rows } = await this.#pool.query<{ next_revision: string; last_position: string }>({
        name: 'm3m_append',
        text: 'SELECT next_revision, last_position FROM m3m_append($1, $2, $3, $4, $5, $6, $7)',
        values: [
          writes.map((w) => w.streamId),
          writes.map((w) => String(w.expectedRevision)),
          writes.map((w) => w.events.length),
          ...eventColumns(events),
        ],
      });
      append.resolve(rows.map(toResult));
      return events.length > 0;
    } catch (error) {
      append.reject(asConflict(error, writes));
      return false;
    }
  }

  /** Several appends in one transaction (`m3m_append_group`); each caller hears its own outcome. */
  async #appendGroup(group: readonly QueuedAppend[]): Promise<boolean> {
    const writes = group.flatMap((a) => a.writes);
    const events = writes.flatMap((w) => w.events);
    let rows: GroupRow[];
    try {
      ({ rows } = await this.#pool.query<GroupRow>({
        name: 'm3m_append_group',
        text: `SELECT append_no, next_revision, last_position, error_code, error_detail
          FROM m3m_append_group($1, $2, $3, $4, $5, $6, $7, $8)`,
        values: [
          group.map((a) => a.writes.length),
          writes.map((w) => w.streamId),
          writes.map((w) => String(w.expectedRevision)),
          writes.map((w) => w.events.length),
          ...eventColumns(events),
        ],
      }));
    } catch (error) {
      // Nothing of the group is stored (a lost connection, a cancelled statement): every caller hears why.
      for (const append of group) append.reject(error);
      return false;
    }
    const byAppend = Map.groupBy(rows, (row) => row.append_no);
    let wrote = false;
    group.forEach((append, i) => {
      const own = byAppend.get(i + 1) ?? [];
      const failed = own.find((row) => row.error_code !== null);
      if (failed?.error_code === SQLSTATE.deadlockDetected && !append.retried) {
        // Two groups locked streams in opposite orders; PostgreSQL undid this append's part: queue it again.
        this.#queued.push({ ...append, retried: true });
        return;
      }
      if (!failed) {
        append.resolve(own.map(toResult));
        if (append.writes.some((w) => w.events.length > 0)) wrote = true;
        return;
      }
      const error = Object.assign(new Error(failed.error_detail ?? failed.error_code!), {
        code: failed.error_code,
        detail: failed.error_detail,
      });
      append.reject(asConflict(error, append.writes));
    });
    return wrote;
  }

  /**
   * Revisions only grow, so an exact expectation below a revision this process has seen written is a
   * conflict without asking the server: on a contended stream the losers of a race fail at once.
   */
  #refuseKnownStale(write: StreamWrite): void {
    const known = this.#knownRevisions.get(write.streamId);
    const expected = write.expectedRevision;
    if (known === undefined || known < 0) return;
    if (expected === 'no_stream' || (typeof expected === 'number' && expected < known)) {
      throw new WrongExpectedRevisionError(write.streamId, expected, known);
    }
  }

  #remember(streamId: string, revision: number): void {
    const known = this.#knownRevisions.get(streamId);
    if (known !== undefined && known >= revision) return;
    this.#knownRevisions.delete(streamId);
    this.#knownRevisions.set(streamId, revision);
    if (this.#knownRevisions.size > KNOWN_REVISIONS) {
      this.#knownRevisions.delete(this.#knownRevisions.keys().next().value!);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const { rows } = await this.#pool.query<EventRow>({
      name: 'm3m_read_stream',
      text: `SELECT ${COLUMNS} FROM m3m_events WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3`,
      values: [streamId, options.fromRevision ?? 0, options.limit ?? null],
    });
    return rows.map(toRecorded);
  }

  async readEvent(streamId: string, revision: number): Promise<RecordedEvent | null> {
    assertRevision(revision);
    this.#assertOpen();
    const { rows } = await this.#pool.query<EventRow>({
      name: 'm3m_read_event',
      text: `SELECT ${COLUMNS} FROM m3m_events WHERE stream_id = $1 AND revision = $2`,
      values: [streamId, revision],
    });
    return rows[0] ? toRecorded(rows[0]) : null;
  }

  async readPositions(positions: readonly number[]): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const wanted = checkedPositions(positions);
    if (wanted.length === 0) return [];
    const { rows } = await this.#pool.query<EventRow>({
      name: 'm3m_read_positions',
      text: `SELECT ${COLUMNS} FROM m3m_events WHERE position = ANY($1::bigint[]) AND left(type, 1) <> '$' ORDER BY position`,
      values: [wanted],
    });
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const from = startPosition(options.fromPosition);
    return this.#page(from, null, options.filter, pageSize(options.limit));
  }

  subscribeAll(options: SubscribeAllOptions = {}): Observable<RecordedEvent> {
    return new Observable<RecordedEvent>((subscriber) => {
      if (this.#closed) {
        subscriber.error(new Error('PostgreSQL event store is closed'));
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

      // As in the SQLite store: read from the last delivered position until a short page; a wake-up that
      // comes meanwhile makes it go round again.
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
              if (subscriber.closed || this.#closed) return;
              // Everything at or below the settled head is final (ADR 12): once read, a filtered scan need not
              // cover it again, and nothing can still appear below it.
              const { head, page } = await this.#settledPage(after, options.filter);
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
          if (!this.#closed) subscriber.error(error);
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

  async headPosition(): Promise<number> {
    this.#assertOpen();
    const { rows } = await this.#pool.query<{ position: string }>({
      name: 'm3m_head_position',
      text: `SELECT position FROM m3m_events WHERE ${SETTLED} AND left(type, 1) <> '$' ORDER BY position DESC LIMIT 1`,
    });
    return rows[0] ? Number(rows[0].position) : 0;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatching();
    this.#changes.complete();
    await this.#notifying?.catch(() => {});
    await this.#pool.end();
  }

  /** The highest position below which every event is settled: read up to it and nothing can appear later. */
  async #settledHead(): Promise<number> {
    const { rows } = await this.#pool.query<{ position: string }>({
      name: 'm3m_settled_head',
      text: `SELECT position FROM m3m_events WHERE ${SETTLED} ORDER BY position DESC LIMIT 1`,
    });
    return rows[0] ? Number(rows[0].position) : 0;
  }

  /**
   * The settled head and the page after `after` up to it, in one statement (one snapshot): a subscription's
   * every wake-up asks for both, and two round trips per wake-up were a tenth of the statements m3m sent.
   */
  async #settledPage(
    after: number,
    filter: EventFilter | undefined,
  ): Promise<{ head: number; page: RecordedEvent[] }> {
    const [values, where, name] = filterSql(filter, [after, DEFAULT_PAGE]);
    if (where === null) return { head: await this.#settledHead(), page: [] };
    const { rows } = await this.#pool.query<{ head: string } & Partial<EventRow>>({
      name: `m3m_settled_page_${name}`,
      text: `SELECT h.head, e.* FROM
          (SELECT coalesce((SELECT position FROM m3m_events WHERE ${SETTLED} ORDER BY position DESC LIMIT 1), 0) AS head) h
        LEFT JOIN LATERAL (
          SELECT ${COLUMNS} FROM m3m_events
          WHERE position > $1 AND position <= h.head AND ${SETTLED} AND left(type, 1) <> '$' ${where}
          ORDER BY position LIMIT $2
        ) e ON true`,
      values,
    });
    const head = Number(rows[0]?.head ?? 0);
    const page = rows.filter((row) => row.position != null).map((row) => toRecorded(row as EventRow));
    return { head, page };
  }

  async #page(
    after: number,
    upTo: number | null,
    filter: EventFilter | undefined,
    limit: number,
  ): Promise<RecordedEvent[]> {
    const [values, where, name] = filterSql(filter, [after, upTo, limit]);
    if (where === null) return [];
    const { rows } = await this.#pool.query<EventRow>({
      name: `m3m_page_${name}`,
      text: `SELECT ${COLUMNS} FROM m3m_events
        WHERE position > $1 AND ($2::bigint IS NULL OR position <= $2) AND ${SETTLED} AND left(type, 1) <> '$'
        ${where}
        ORDER BY position LIMIT $3`,
      values,
    });
    return rows.map(toRecorded);
  }

  async #lastOfStream(streamId: string): Promise<{ revision: number; position: number } | null> {
    const { rows } = await this.#pool.query<{ revision: string; position: string }>({
      name: 'm3m_last_of_stream',
      text: 'SELECT revision, position FROM m3m_events WHERE stream_id = $1 ORDER BY revision DESC LIMIT 1',
      values: [streamId],
    });
    const row = rows[0];
    return row ? { revision: Number(row.revision), position: Number(row.position) } : null;
  }

  /**
   * Wakes this process's subscribers at once, and other processes' through NOTIFY. The NOTIFY is sent after
   * the commit in its own statement, never inside the append: a notifying transaction takes a lock that
   * serializes commits across the whole server. Notifications are coalesced: one in flight, at most one queued.
   */
  #announce(): void {
    this.#changes.next();
    if (this.#notifying) {
      this.#notifyAgain = true;
      return;
    }
    this.#notifying = (async () => {
      do {
        this.#notifyAgain = false;
        if (this.#closed) break;
        await this.#pool.query(`SELECT pg_notify('${CHANNEL}', '')`).catch((e: Error) => this.#onError(e));
      } while (this.#notifyAgain);
      this.#notifying = undefined;
    })();
  }

  #addListener(): void {
    this.#listeners += 1;
    if (this.#pollTimer || this.#closed) return;
    this.#pollTimer = setInterval(() => void this.#poll(), this.#pollIntervalMs);
    this.#pollTimer.unref();
    void this.#listen();
  }

  #removeListener(): void {
    this.#listeners -= 1;
    if (this.#listeners === 0) this.#stopWatching();
  }

  #stopWatching(): void {
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
    const listener = this.#listener;
    this.#listener = undefined;
    void listener?.end().catch(() => {});
  }

  /** A connection of its own LISTENs while anyone subscribes; when it fails, the poll carries on and retries it. */
  async #listen(): Promise<void> {
    if (this.#listener || this.#listening || this.#closed) return;
    this.#listening = (async () => {
      const client = new pg.Client({ connectionString: this.#url, application_name: 'm3m event feed' });
      client.on('notification', () => this.#changes.next());
      client.on('error', (error) => {
        this.#onError(error);
        if (this.#listener === client) this.#listener = undefined;
        void client.end().catch(() => {});
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
      } catch (error) {
        this.#onError(error as Error);
        await client.end().catch(() => {});
        return;
      } finally {
        this.#listening = undefined;
      }
      if (!this.#pollTimer) {
        await client.end().catch(() => {});
        return;
      }
      this.#listener = client;
      // Events committed while the connection was being set up were announced to nobody here.
      this.#changes.next();
    })();
    await this.#listening;
  }

  /** The fallback: wakes subscribers when the settled head moved without a notification reaching us. */
  async #poll(): Promise<void> {
    if (this.#closed) return;
    if (!this.#listener) void this.#listen();
    try {
      const head = await this.#settledHead();
      if (head === this.#lastSeenHead) return;
      this.#lastSeenHead = head;
    } catch {
      // Wake the subscribers anyway: their own read reports a lasting failure as an error.
    }
    this.#changes.next();
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('PostgreSQL event store is closed');
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

function asConflict(error: unknown, writes: readonly StreamWrite[]): unknown {
  if (sqlState(error) !== CONFLICT_SQLSTATE) return error;
  const detail = JSON.parse((error as { detail: string }).detail) as {
    stream: string;
    actual: number | null;
  };
  const write = writes.find((w) => w.streamId === detail.stream)!;
  return new WrongExpectedRevisionError(detail.stream, write.expectedRevision, detail.actual);
}

/**
 * A filter's conditions after `values` (bound from `$n+1` on), with the suffix that names their statement;
 * `null` conditions when the filter matches nothing (an empty list).
 */
function filterSql(
  filter: EventFilter | undefined,
  values: unknown[],
): [values: unknown[], where: string | null, name: string] {
  const types = filter?.eventTypes;
  const prefixes = filter?.streamPrefixes;
  if (types?.length === 0 || prefixes?.length === 0) return [values, null, ''];
  const where = [];
  if (types) where.push(`AND type = ANY($${values.push(types)}::text[])`);
  if (prefixes) {
    where.push(
      `AND EXISTS (SELECT 1 FROM unnest($${values.push(prefixes)}::text[]) AS p WHERE starts_with(stream_id, p))`,
    );
  }
  return [values, where.join(' '), `${types ? 't' : ''}${prefixes ? 'p' : ''}`];
}

function toResult(row: { next_revision: string | null; last_position: string | null }): AppendResult {
  return { nextRevision: Number(row.next_revision), position: Number(row.last_position) };
}

/** The flattened event arrays `m3m_append` and `m3m_append_group` take. */
function eventColumns(events: readonly NewEvent[]): string[][] {
  return [
    events.map((e) => e.id ?? randomUUID()),
    events.map((e) => e.type),
    events.map((e) => JSON.stringify(e.data) ?? 'null'),
    events.map((e) => JSON.stringify(e.metadata)),
  ];
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    streamId: row.stream_id,
    type: row.type,
    revision: Number(row.revision),
    position: Number(row.position),
    data: row.data,
    metadata: row.metadata,
  };
}
