/** Every document has a string `id`, unique in its collection. */
export interface Doc {
  id: string;
  [field: string]: unknown;
}

export type Scalar = string | number | boolean | null;

/** Per field (dotted paths allowed): equality, or operators. `null` matches a missing field too. */
export type FieldCondition =
  | Scalar
  | {
      $in?: readonly Scalar[];
      $ne?: Scalar;
      $gt?: string | number;
      $gte?: string | number;
      $lt?: string | number;
      $lte?: string | number;
    };

export type Filter = Record<string, FieldCondition>;

/**
 * Field names must not look like numbers: JavaScript would reorder such keys and with them the sort.
 * Sort fields hold scalars: missing and `null` sort first, then numbers, then strings (booleans: engine order).
 * A page that would end on an object or array in a sort field fails instead of giving a cursor that skips.
 */
export type SortSpec = Record<string, 1 | -1>;

export interface FindOptions {
  /** Sorting always ends with `id` ascending as a tie-breaker so cursors are stable. */
  sort?: SortSpec;
  /** Page size: default 1000, at most 10 000 — follow `nextCursor` for more. */
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string | null;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; `null` when this was the last page. */
  nextCursor: string | null;
}

export interface Update {
  $set?: Record<string, unknown>;
  $inc?: Record<string, number>;
  $unset?: readonly string[];
}

/**
 * A unique index ignores documents where any of its fields is missing or `null`. Declaring an index on the
 * same fields again with another `unique` replaces the old one (logged).
 */
export interface IndexSpec {
  fields: readonly string[];
  unique?: boolean;
}

export interface Collection<T extends Doc = Doc> {
  get(id: string): Promise<T | null>;
  findOne(filter: Filter): Promise<T | null>;
  find(filter?: Filter, options?: FindOptions): Promise<Page<T>>;
  count(filter?: Filter): Promise<number>;
  /** Fails with `DuplicateKeyError` when the id or a unique index collides. */
  insert(doc: T): Promise<void>;
  /** Replaces the whole document with this id, creating it when absent. */
  upsert(doc: T): Promise<void>;
  /**
   * Optional: `upsert` of each document, in order, with fewer round trips (SQLite: a statement per hundred
   * rows). Call it through `upsertAll`, which falls back to `upsert` on engines without it.
   */
  upsertMany?(docs: readonly T[]): Promise<void>;
  /**
   * Applies `$set`/`$inc`/`$unset` to the document with this id. With `{ upsert: true }` a missing
   * document is created as `{ id }` plus the update. Returns whether the document existed or was created
   * (not whether a value actually changed: engines disagree on that).
   */
  patch(id: string, update: Update, options?: { upsert?: boolean }): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  deleteMany(filter: Filter): Promise<number>;
}

/**
 * A log table (ADR 29): rows keyed by an `$all` position, every other column a whole number (a name interned
 * by its projection, a time in ms; 0 for none), each index on some columns followed by the position. For a
 * read model with one row per event that is filtered and sorted, never changed: the audit log. It lives
 * beside the collections under the same names (`dropCollection`, `swapCollections` and `listCollections`
 * treat it as one); reading it through `collection` is a mistake.
 */
export interface LogTableSpec {
  /** Column names besides `position` (field-name rules as for documents). */
  columns: readonly string[];
  /** Each index: these columns, then `position`. */
  indexes: readonly (readonly string[])[];
}

/** One row: `position` and every column of the spec, as safe integers. */
export type LogRow = { position: number } & Record<string, number>;

/** Bounds on the position (both ends optional; several bounds all apply). */
export interface PositionRange {
  $gt?: number;
  $gte?: number;
  $lt?: number;
  $lte?: number;
}

export interface LogQuery {
  /** Per column: equal to a number, or within an inclusive range. */
  where?: Record<string, number | { $gte?: number; $lte?: number }>;
  position?: PositionRange;
  /** Position order: 1 oldest first, -1 newest first. */
  order: 1 | -1;
  /** At most 10 000. */
  limit: number;
}

export interface LogTable {
  /**
   * Adds rows (in one statement per few hundred rows where the engine can). A row whose position is there
   * already replaces it, so that applying the same event twice leaves one row.
   */
  append(rows: readonly LogRow[]): Promise<void>;
  /** Rows matching `query` in position order. A table that does not exist reads as empty. */
  find(query: LogQuery): Promise<LogRow[]>;
}

/** The view of the store inside one transaction: every write commits or none does. */
export interface ReadStoreSession {
  collection<T extends Doc = Doc>(name: string): Collection<T>;
  /** The log table `name` (created with `spec`, without indexes, on first write when missing). */
  logTable(name: string, spec: LogTableSpec): LogTable;
}

export interface ReadStore extends ReadStoreSession {
  /**
   * Runs `work` in one transaction. The callback may be retried by adapters that need it: keep it free of side
   * effects outside the session. Fails with `TransactionLimitError` when the engine gave up on a transaction
   * that ran too long or wrote too much (MongoDB): the same work in smaller transactions may pass.
   */
  transaction<R>(work: (session: ReadStoreSession) => Promise<R>): Promise<R>;
  ensureIndexes(collection: string, indexes: readonly IndexSpec[]): Promise<void>;
  /**
   * Creates the log table `name` when missing, and its indexes unless `withIndexes` is false (a rebuild
   * loads it bare and asks again before its swap: one sort per index instead of an insert per row and index).
   * Building the indexes may use more memory for a while (SQLite: a larger page cache and in-memory sorts).
   */
  ensureLogTable(name: string, spec: LogTableSpec, options?: { withIndexes?: boolean }): Promise<void>;
  listCollections(): Promise<string[]>;
  /**
   * Optional: a number that stays the same while nothing at all is committed to the store, by this process or any
   * other, and changes once something is (SQLite: `PRAGMA data_version` of the reading connection). Read models'
   * memos skip reading their projection's checkpoint again while it has not changed (`readModelMemo.ts`).
   */
  commitVersion?(): number;
  dropCollection(name: string): Promise<void>;
  /**
   * Replaces each target with its source: `{ from: 'users__rebuild', to: 'users' }` drops `users` and renames
   * `users__rebuild` to it. A pair whose source does not exist is left alone (its target is never dropped
   * without a replacement), so repeating a swap that was cut off, or that completed, loses nothing. SQLite swaps
   * all pairs in one transaction; MongoDB renames one collection at a time, so a caller that must see all of a
   * swap or none of it records that it started and repeats it after a crash (the projection runner does).
   */
  swapCollections(renames: readonly { from: string; to: string }[]): Promise<void>;
  close(): Promise<void>;
}

export class DuplicateKeyError extends Error {
  readonly collection: string;
  constructor(collection: string, detail: string) {
    super(`Duplicate key in ${collection}: ${detail}`);
    this.name = 'DuplicateKeyError';
    this.collection = collection;
  }
}

/** A page cursor the store did not hand out (or handed out for another sort): the caller's mistake. */
export class InvalidCursorError extends Error {
  constructor(detail = 'This cursor is not valid: use the nextCursor of a previous page.') {
    super(detail);
    this.name = 'InvalidCursorError';
  }
}

/** The engine gave up on a transaction that ran too long or grew too large; nothing of it was written. */
export class TransactionLimitError extends Error {
  constructor(detail: string) {
    super(`The read store gave up on a transaction that ran too long or grew too large: ${detail}`);
    this.name = 'TransactionLimitError';
  }
}
