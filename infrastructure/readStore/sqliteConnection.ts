import { DatabaseSync, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import { DuplicateKeyError } from '../../application/ports/readStore.ts';
import { type Sql, TABLE_PREFIX, table } from './sqliteSql.ts';

export type Row = Record<string, SQLOutputValue>;

const STATEMENT_CACHE_SIZE = 256;
const MISSING_TABLES_REMEMBERED = 1000;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

/** One node:sqlite connection with a small prepared-statement cache and the table bookkeeping. */
export class SqliteConnection {
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  /** Tables this connection created or saw; forgotten whenever DDL might have been undone. */
  readonly #knownTables = new Set<string>();
  /** Tables looked for and not found, with the schema version they were missing at. */
  readonly #missingTables = new Map<string, number>();

  constructor(path: string) {
    this.db = new DatabaseSync(path, { timeout: 5_000 });
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement) {
      this.#statements.delete(sql);
    } else {
      statement = this.db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        this.#statements.delete(this.#statements.keys().next().value as string);
      }
    }
    this.#statements.set(sql, statement);
    return statement;
  }

  all(query: Sql): Row[] {
    return this.#statement(query.sql).all(...query.params);
  }

  get(query: Sql): Row | undefined {
    return this.#statement(query.sql).get(...query.params);
  }

  run(query: Sql): number {
    return Number(this.#statement(query.sql).run(...query.params).changes);
  }

  /**
   * Whether the collection's table exists. A table found is remembered (the reader as well as the writer: an
   * existence query before every read was a tenth of a goal increment's CPU); one dropped since, by this process or
   * another, is noticed by `readTable`. Absence is remembered only while the schema version stays the same.
   */
  hasTable(collection: string): boolean {
    if (this.#knownTables.has(collection)) return true;
    const version = this.#schemaVersion();
    if (this.#missingTables.get(collection) === version) return false;
    const sql = "SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE";
    const found = this.get({ sql, params: [TABLE_PREFIX + collection] }) !== undefined;
    if (found) {
      this.#knownTables.add(collection);
      this.#missingTables.delete(collection);
    } else {
      if (this.#missingTables.size >= MISSING_TABLES_REMEMBERED) this.#missingTables.clear();
      this.#missingTables.set(collection, version);
    }
    return found;
  }

  /**
   * Runs a read of a collection's table, or answers `absent` when there is none. A remembered table that another
   * connection dropped makes the statement fail with "no such table": it is forgotten and looked up once more.
   */
  readTable<T>(collection: string, work: () => T, absent: T): T {
    if (!this.hasTable(collection)) return absent;
    try {
      return work();
    } catch (error) {
      if (!/no such table/i.test((error as Error | null)?.message ?? '')) throw error;
      this.forgetTables();
      return this.hasTable(collection) ? work() : absent;
    }
  }

  #schemaVersion(): number {
    return Number(this.#statement('PRAGMA schema_version').get()?.schema_version);
  }

  /** Writer only: creates the collection's table on first use. */
  ensureTable(collection: string): void {
    if (this.#knownTables.has(collection)) return;
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${table(collection)} (id TEXT PRIMARY KEY, doc TEXT NOT NULL) STRICT`,
    );
    this.#knownTables.add(collection);
    this.#missingTables.delete(collection);
  }

  /** Writer only: creates a log table (ADR 29) on first use, with `sql` (`CREATE TABLE IF NOT EXISTS …`). */
  ensureLogTable(name: string, sql: string): void {
    if (this.#knownTables.has(name)) return;
    this.db.exec(sql);
    this.#knownTables.add(name);
    this.#missingTables.delete(name);
  }

  forgetTables(): void {
    this.#knownTables.clear();
    this.#missingTables.clear();
  }

  /** Runs synchronous work in one SQL transaction. */
  atomically<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.rollback();
      throw error;
    }
  }

  rollback(): void {
    // Some errors (e.g. SQLITE_FULL) already rolled the transaction back.
    if (this.db.isTransaction) this.db.exec('ROLLBACK');
    this.forgetTables();
  }

  close(): void {
    this.#statements.clear();
    this.db.close();
  }
}

/** Unique-constraint failures become the port's typed error; everything else passes through. */
export function asDuplicateKey(error: unknown, collection: string): unknown {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  if (code === SQLITE_CONSTRAINT_PRIMARYKEY || code === SQLITE_CONSTRAINT_UNIQUE) {
    return new DuplicateKeyError(collection, (error as Error).message);
  }
  return error;
}
