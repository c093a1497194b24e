import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { EventFilter, EventMetadata, RecordedEvent } from '../../application/ports/eventStore.ts';
import { decodeEventBody, encodeEventBody, eventBodyTexts, type KeyLists } from './compactJson.ts';
import type { ChainedRow } from './sqliteEventChain.ts';

/**
 * How events are laid out in the SQLite event store's `events` table (ADR 0024). A file made by m3m before
 * ADR 0024 keeps its text rows (stream, type, ids, data and metadata as text); a new file gets compact rows
 * (stream and type as numbers into small tables, ids as 16 bytes, data and metadata in compact JSON), about
 * a third of the bytes. Both give back the same events, and the same `ChainedRow` for the tamper-evidence chain.
 */
export interface EventRows {
  readonly layout: 'text' | 'compact';
  /** Stream name, type, data and metadata made ready to insert; interns what it needs (in the write transaction). */
  prepare(
    streamId: string,
    event: { id: string; type: string; data: unknown; metadata: unknown },
  ): PreparedRow;
  /** Inserts (in the write transaction); returns the new position. */
  insert(row: PreparedRow, revision: number): number;
  lastOfStream(streamId: string): { revision: number; position: number } | undefined;
  readStream(streamId: string, fromRevision: number, limit: number): RecordedEvent[];
  readEvent(streamId: string, revision: number): RecordedEvent | null;
  /** The events at these positions, in position order, `$` types left out. */
  atPositions(positions: readonly number[]): RecordedEvent[];
  /** Events after `after` up to `upTo` in position order, `$` types left out. */
  page(after: number, upTo: number, filter: EventFilter | undefined, limit: number): RecordedEvent[];
  maxPosition(): number;
  /** The position of the newest event that is not of a `$` type, 0 when none. */
  headPosition(): number;
  /** Events after `after` as the chain hashes them. */
  chained(after: number, limit: number): ChainedRow[];
  /** A page of links with the event at each link's position as the chain hashes it (null: no event there). */
  links(after: number, limit: number): { position: number; hash: Uint8Array; event: ChainedRow | null }[];
  /** Forgets what was interned by a write transaction that was rolled back. */
  rolledBack(): void;
}

export interface PreparedRow {
  streamId: string;
  id: string;
  type: string;
  /** The JSON texts the chain hashes. */
  dataText: string;
  metadataText: string;
  /** What the row holds (layout-specific). */
  values: readonly (string | number | Uint8Array)[];
}

const TEXT_SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    stream_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT NOT NULL,
    UNIQUE (stream_id, revision)
  ) STRICT;
`;

// `body` holds the event's id, data and metadata in compact JSON, one after the other (compactJson.ts): one
// value per row to read. A type's number is negative for the `$` types the store keeps to itself, so
// `type > 0` leaves them out.
const COMPACT_SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    stream INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    type INTEGER NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (stream, revision)
  ) STRICT;
  CREATE TABLE IF NOT EXISTS event_streams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;
  CREATE TABLE IF NOT EXISTS event_types (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;
  CREATE TABLE IF NOT EXISTS event_keys (id INTEGER PRIMARY KEY, keys TEXT NOT NULL UNIQUE) STRICT;
`;

/**
 * Opens the rows of an existing file in the layout it has (text rows for a file from before ADR 0024,
 * whatever their `AUTOINCREMENT`), or creates a new file's tables in the compact layout. Runs in one write
 * transaction, so two processes creating one new file agree.
 */
export function openEventRows(db: DatabaseSync): EventRows {
  db.exec('BEGIN IMMEDIATE');
  try {
    const existing = db
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'")
      .get() as { sql: string } | undefined;
    const text = existing !== undefined && /\bstream_id\b/.test(existing.sql);
    db.exec(text ? TEXT_SCHEMA : COMPACT_SCHEMA);
    db.exec('COMMIT');
    return text ? new TextRows(db) : new CompactRows(db);
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

const PAGE = 'ORDER BY position LIMIT ?';

/** One statement per filter shape (number of types, number of prefixes). */
class PageStatements {
  readonly #cache = new Map<string, StatementSync>();
  readonly make: (typeCount: number, prefixCount: number) => string;
  readonly arrays: boolean;
  constructor(make: (typeCount: number, prefixCount: number) => string, arrays = false) {
    this.make = make;
    this.arrays = arrays;
  }
  get(db: DatabaseSync, typeCount: number, prefixCount: number): StatementSync {
    const key = `${typeCount}:${prefixCount}`;
    let statement = this.#cache.get(key);
    if (!statement) {
      statement = db.prepare(this.make(typeCount, prefixCount));
      if (this.arrays) statement.setReturnArrays(true);
      this.#cache.set(key, statement);
    }
    return statement;
  }
}

const placeholders = (n: number) => Array(n).fill('?').join(', ');

interface TextRow {
  position: number;
  stream_id: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
}

/** The layout of files from before ADR 0024: every field as text. */
class TextRows implements EventRows {
  readonly layout = 'text';
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #lastOfStream: StatementSync;
  readonly #readStream: StatementSync;
  readonly #readEvent: StatementSync;
  readonly #atPositions: StatementSync;
  readonly #maxPosition: StatementSync;
  readonly #headPosition: StatementSync;
  readonly #chained: StatementSync;
  #links: StatementSync | undefined;
  readonly #pages: PageStatements;
  /** Prepared when verifying: the chain table is made after the rows. */
  readonly #linksSql: string;

  constructor(db: DatabaseSync) {
    const columns = 'position, stream_id, revision, id, type, data, metadata';
    this.#db = db;
    this.#insert = db.prepare(
      'INSERT INTO events (stream_id, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#lastOfStream = db.prepare(
      'SELECT revision, position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
    );
    this.#readStream = db.prepare(
      `SELECT ${columns} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
    );
    this.#readEvent = db.prepare(`SELECT ${columns} FROM events WHERE stream_id = ? AND revision = ?`);
    this.#atPositions = db.prepare(
      `SELECT ${columns} FROM events WHERE position IN (SELECT value FROM json_each(?)) AND type NOT GLOB '$*' ORDER BY position`,
    );
    this.#maxPosition = db.prepare('SELECT COALESCE(MAX(position), 0) AS head FROM events');
    this.#headPosition = db.prepare(
      "SELECT position FROM events WHERE type NOT GLOB '$*' ORDER BY position DESC LIMIT 1",
    );
    this.#chained = db.prepare(`SELECT ${columns} FROM events WHERE position > ? ${PAGE}`);
    this.#linksSql = `SELECT c.position AS link_position, c.hash AS hash, e.position AS position, e.stream_id AS stream_id,
              e.revision AS revision, e.id AS id, e.type AS type, e.data AS data, e.metadata AS metadata
         FROM event_chain c LEFT JOIN events e ON e.position = c.position
        WHERE c.position > ? ORDER BY c.position LIMIT ?`;
    this.#pages = new PageStatements((typeCount, prefixCount) => {
      const where = ['position > ?', 'position <= ?', "type NOT GLOB '$*'"];
      if (typeCount > 0) where.push(`type IN (${placeholders(typeCount)})`);
      // LIKE is case-insensitive in SQLite and GLOB needs its own escaping; a substring compare is exact.
      if (prefixCount > 0) {
        where.push(`(${Array(prefixCount).fill('substr(stream_id, 1, length(?)) = ?').join(' OR ')})`);
      }
      return `SELECT ${columns} FROM events WHERE ${where.join(' AND ')} ${PAGE}`;
    });
  }

  prepare(
    streamId: string,
    event: { id: string; type: string; data: unknown; metadata: unknown },
  ): PreparedRow {
    const dataText = JSON.stringify(event.data) ?? 'null';
    const metadataText = JSON.stringify(event.metadata);
    return {
      streamId,
      id: event.id,
      type: event.type,
      dataText,
      metadataText,
      values: [streamId, event.id, event.type, dataText, metadataText],
    };
  }

  insert(row: PreparedRow, revision: number): number {
    const [stream, id, type, data, metadata] = row.values;
    return Number(this.#insert.run(stream!, revision, id!, type!, data!, metadata!).lastInsertRowid);
  }

  lastOfStream(streamId: string) {
    return this.#lastOfStream.get(streamId) as { revision: number; position: number } | undefined;
  }

  readStream(streamId: string, fromRevision: number, limit: number): RecordedEvent[] {
    return (this.#readStream.all(streamId, fromRevision, limit) as unknown as TextRow[]).map(textRecorded);
  }

  readEvent(streamId: string, revision: number): RecordedEvent | null {
    const row = this.#readEvent.get(streamId, revision) as TextRow | undefined;
    return row ? textRecorded(row) : null;
  }

  atPositions(positions: readonly number[]): RecordedEvent[] {
    const rows = this.#atPositions.all(JSON.stringify(positions)) as unknown as TextRow[];
    return rows.map(textRecorded);
  }

  page(after: number, upTo: number, filter: EventFilter | undefined, limit: number): RecordedEvent[] {
    const types = filter?.eventTypes ?? [];
    const prefixes = filter?.streamPrefixes ?? [];
    const rows = this.#pages
      .get(this.#db, types.length, prefixes.length)
      .all(after, upTo, ...types, ...prefixes.flatMap((p) => [p, p]), limit) as unknown as TextRow[];
    return rows.map(textRecorded);
  }

  maxPosition(): number {
    return (this.#maxPosition.get() as { head: number }).head;
  }

  headPosition(): number {
    return (this.#headPosition.get() as { position: number } | undefined)?.position ?? 0;
  }

  chained(after: number, limit: number): ChainedRow[] {
    return this.#chained.all(after, limit) as unknown as ChainedRow[];
  }

  links(after: number, limit: number) {
    type Row = TextRow & { link_position: number; hash: Uint8Array; position: number | null };
    this.#links ??= this.#db.prepare(this.#linksSql);
    return (this.#links.all(after, limit) as unknown as Row[]).map((row) => ({
      position: row.link_position,
      hash: row.hash,
      event: row.position === null ? null : row,
    }));
  }

  rolledBack(): void {}
}

function textRecorded(row: TextRow): RecordedEvent {
  return {
    id: row.id,
    streamId: row.stream_id,
    type: row.type,
    revision: row.revision,
    position: row.position,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata) as EventMetadata,
  };
}

/** As read with `setReturnArrays`: no object with named keys per row. */
type CompactRow = [position: number, stream: number, revision: number, type: number, body: Uint8Array];

/** Names stored once in a table of their own and referred to by number; remembered both ways. */
class Names {
  readonly #ids = new Map<string, number>();
  readonly #names = new Map<number, string>();
  readonly #byName: StatementSync;
  readonly #byId: StatementSync;

  readonly limit: number;
  constructor(db: DatabaseSync, table: string, column: string, limit: number) {
    this.limit = limit;
    this.#byName = db.prepare(`SELECT id FROM ${table} WHERE ${column} = ?`);
    this.#byId = db.prepare(`SELECT ${column} AS name FROM ${table} WHERE id = ?`);
  }

  /** The number of a name already stored, by this process or another. */
  find(name: string): number | undefined {
    const known = this.#ids.get(name);
    if (known !== undefined) return known;
    const row = this.#byName.get(name) as { id: number } | undefined;
    if (row) this.remember(row.id, name);
    return row?.id;
  }

  name(id: number): string {
    const known = this.#names.get(id);
    if (known !== undefined) return known;
    const row = this.#byId.get(id) as { name: string } | undefined;
    if (!row) throw new Error(`SQLite event store: no name for number ${id}`);
    this.remember(id, row.name);
    return row.name;
  }

  remember(id: number, name: string): void {
    // Bounded: a store of a million one-event streams must not keep every name in memory.
    if (this.#ids.size >= this.limit) {
      this.#ids.clear();
      this.#names.clear();
    }
    this.#ids.set(name, id);
    this.#names.set(id, name);
  }

  forget(): void {
    this.#ids.clear();
    this.#names.clear();
  }
}

/** Key lists past this many are written inline: data with keys made of values must not grow the table for ever. */
const MAX_KEY_LISTS = 10_000;

/** The layout of new files (ADR 0024). */
class CompactRows implements EventRows {
  readonly layout = 'compact';
  readonly #db: DatabaseSync;
  readonly #streams: Names;
  readonly #types: Names;
  readonly #keys: Names;
  readonly #keyLists: KeyLists;
  readonly #addStream: StatementSync;
  readonly #addType: StatementSync;
  readonly #addKeys: StatementSync;
  readonly #keyListCount: StatementSync;
  readonly #insert: StatementSync;
  readonly #lastOfStream: StatementSync;
  readonly #readStream: StatementSync;
  readonly #readEvent: StatementSync;
  readonly #atPositions: StatementSync;
  readonly #maxPosition: StatementSync;
  readonly #headPosition: StatementSync;
  readonly #chained: StatementSync;
  #links: StatementSync | undefined;
  readonly #pages: PageStatements;
  /** Prepared when verifying: the chain table is made after the rows. */
  readonly #linksSql: string;
  #keyListsFull = false;

  constructor(db: DatabaseSync) {
    const columns = 'position, stream, revision, type, body';
    this.#db = db;
    this.#streams = new Names(db, 'event_streams', 'name', 100_000);
    this.#types = new Names(db, 'event_types', 'name', 100_000);
    this.#keys = new Names(db, 'event_keys', 'keys', 100_000);
    this.#addStream = db.prepare('INSERT INTO event_streams (name) VALUES (?) RETURNING id');
    this.#addType = db.prepare(
      `INSERT INTO event_types (id, name) SELECT CASE WHEN ?1 THEN min(COALESCE(MIN(id), 0), 0) - 1
         ELSE max(COALESCE(MAX(id), 0), 0) + 1 END, ?2 FROM event_types RETURNING id`,
    );
    this.#addKeys = db.prepare('INSERT INTO event_keys (keys) VALUES (?) RETURNING id');
    this.#keyListCount = db.prepare('SELECT COUNT(*) AS n FROM event_keys');
    const keyNames = new Map<number, readonly string[]>();
    this.#keyLists = {
      idOf: (joined) => {
        const known = this.#keys.find(joined);
        if (known !== undefined) return known;
        if (this.#keyListsFull) return null;
        if ((this.#keyListCount.get() as { n: number }).n >= MAX_KEY_LISTS) {
          this.#keyListsFull = true;
          return null;
        }
        const id = (this.#addKeys.get(joined) as { id: number }).id;
        this.#keys.remember(id, joined);
        return id;
      },
      keysOf: (id) => {
        let keys = keyNames.get(id);
        if (!keys) {
          const joined = this.#keys.name(id);
          keys = joined === '' ? [] : joined.split('\u0000');
          if (keyNames.size >= 100_000) keyNames.clear();
          keyNames.set(id, keys);
        }
        return keys;
      },
    };
    this.#insert = db.prepare('INSERT INTO events (stream, revision, type, body) VALUES (?, ?, ?, ?)');
    this.#lastOfStream = db.prepare(
      'SELECT revision, position FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
    );
    this.#readStream = db.prepare(
      `SELECT ${columns} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
    );
    this.#readEvent = db.prepare(`SELECT ${columns} FROM events WHERE stream = ? AND revision = ?`);
    this.#atPositions = db.prepare(
      `SELECT ${columns} FROM events WHERE position IN (SELECT value FROM json_each(?)) AND type > 0 ORDER BY position`,
    );
    this.#maxPosition = db.prepare('SELECT COALESCE(MAX(position), 0) AS head FROM events');
    this.#headPosition = db.prepare(
      'SELECT position FROM events WHERE type > 0 ORDER BY position DESC LIMIT 1',
    );
    this.#chained = db.prepare(`SELECT ${columns} FROM events WHERE position > ? ${PAGE}`);
    this.#linksSql = `SELECT e.position, e.stream, e.revision, e.type, e.body, c.position, c.hash
         FROM event_chain c LEFT JOIN events e ON e.position = c.position
        WHERE c.position > ? ORDER BY c.position LIMIT ?`;
    this.#pages = new PageStatements((typeCount, prefixCount) => {
      const where = ['position > ?', 'position <= ?', 'type > 0'];
      if (typeCount > 0) where.push(`type IN (${placeholders(typeCount)})`);
      if (prefixCount > 0) {
        const prefix = Array(prefixCount).fill('substr(name, 1, length(?)) = ?').join(' OR ');
        where.push(`stream IN (SELECT id FROM event_streams WHERE ${prefix})`);
      }
      return `SELECT ${columns} FROM events WHERE ${where.join(' AND ')} ${PAGE}`;
    }, true);
    for (const statement of [this.#readStream, this.#readEvent, this.#atPositions, this.#chained])
      statement.setReturnArrays(true);
  }

  prepare(
    streamId: string,
    event: { id: string; type: string; data: unknown; metadata: unknown },
  ): PreparedRow {
    const dataText = JSON.stringify(event.data) ?? 'null';
    const metadataText = JSON.stringify(event.metadata);
    // Interned before the append's savepoint: a name kept after its append is rolled back costs nothing.
    const stream =
      this.#streams.find(streamId) ?? this.#intern(this.#streams, this.#addStream, [streamId], streamId);
    const type =
      this.#types.find(event.type) ??
      this.#intern(this.#types, this.#addType, [event.type.startsWith('$') ? 1 : 0, event.type], event.type);
    const body = encodeEventBody(
      event.id,
      event.data,
      dataText,
      event.metadata,
      metadataText,
      this.#keyLists,
    );
    return { streamId, id: event.id, type: event.type, dataText, metadataText, values: [stream, type, body] };
  }

  #intern(names: Names, add: StatementSync, params: (string | number)[], name: string): number {
    const id = (add.get(...params) as { id: number }).id;
    names.remember(id, name);
    return id;
  }

  insert(row: PreparedRow, revision: number): number {
    const [stream, type, body] = row.values;
    return Number(this.#insert.run(stream!, revision, type!, body!).lastInsertRowid);
  }

  lastOfStream(streamId: string) {
    const stream = this.#streams.find(streamId);
    if (stream === undefined) return undefined;
    return this.#lastOfStream.get(stream) as { revision: number; position: number } | undefined;
  }

  readStream(streamId: string, fromRevision: number, limit: number): RecordedEvent[] {
    const stream = this.#streams.find(streamId);
    if (stream === undefined) return [];
    const rows = this.#readStream.all(stream, fromRevision, limit) as unknown as CompactRow[];
    return rows.map((row) => this.#recorded(row));
  }

  readEvent(streamId: string, revision: number): RecordedEvent | null {
    const stream = this.#streams.find(streamId);
    if (stream === undefined) return null;
    const row = this.#readEvent.get(stream, revision) as CompactRow | undefined;
    return row ? this.#recorded(row) : null;
  }

  atPositions(positions: readonly number[]): RecordedEvent[] {
    const rows = this.#atPositions.all(JSON.stringify(positions)) as unknown as CompactRow[];
    return rows.map((row) => this.#recorded(row));
  }

  page(after: number, upTo: number, filter: EventFilter | undefined, limit: number): RecordedEvent[] {
    let types: number[] = [];
    if (filter?.eventTypes) {
      types = filter.eventTypes.flatMap((name) => this.#types.find(name) ?? []);
      // None of the types asked for was ever stored: nothing can match.
      if (types.length === 0) return [];
    }
    const prefixes = filter?.streamPrefixes ?? [];
    const rows = this.#pages
      .get(this.#db, types.length, prefixes.length)
      .all(after, upTo, ...types, ...prefixes.flatMap((p) => [p, p]), limit) as unknown as CompactRow[];
    return rows.map((row) => this.#recorded(row));
  }

  maxPosition(): number {
    return (this.#maxPosition.get() as { head: number }).head;
  }

  headPosition(): number {
    return (this.#headPosition.get() as { position: number } | undefined)?.position ?? 0;
  }

  chained(after: number, limit: number): ChainedRow[] {
    return (this.#chained.all(after, limit) as unknown as CompactRow[]).map((row) => this.#chainedRow(row));
  }

  links(after: number, limit: number) {
    this.#links ??= this.#db.prepare(this.#linksSql);
    this.#links.setReturnArrays(true);
    type Row = [...(CompactRow | [null, null, null, null, null]), linkPosition: number, hash: Uint8Array];
    return (this.#links.all(after, limit) as unknown as Row[]).map((row) => ({
      position: row[5],
      hash: row[6],
      event: row[0] === null ? null : this.#chainedRow(row.slice(0, 5) as CompactRow),
    }));
  }

  rolledBack(): void {
    // Numbers given out in the transaction are gone with it.
    this.#streams.forget();
    this.#types.forget();
    this.#keys.forget();
    this.#keyListsFull = false;
  }

  /** As the chain hashes it: a row no longer decodable (edited in the file) hashes to something else. */
  #chainedRow([position, stream, revision, type, body]: CompactRow): ChainedRow {
    try {
      const texts = eventBodyTexts(body, this.#keyLists);
      return {
        position,
        stream_id: this.#streams.name(stream),
        revision,
        id: texts.id,
        type: this.#types.name(type),
        data: texts.data,
        metadata: texts.metadata,
      };
    } catch (error) {
      const detail = `undecodable: ${(error as Error).message}`;
      return {
        position,
        stream_id: detail,
        revision,
        id: detail,
        type: detail,
        data: detail,
        metadata: detail,
      };
    }
  }

  #recorded([position, stream, revision, type, body]: CompactRow): RecordedEvent {
    const { id, data, metadata } = decodeEventBody(body, this.#keyLists);
    return {
      id,
      streamId: this.#streams.name(stream),
      type: this.#types.name(type),
      revision,
      position,
      data,
      metadata: metadata as EventMetadata,
    };
  }
}
