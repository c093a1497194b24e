import pg from 'pg';

export interface PostgresPoolOptions {
  /** `postgres://user:password@host:port/database`, as libpq and psql take it. */
  url: string;
  /** Connections this pool may open. Default 10. */
  max?: number;
  /** Tells the pool's connections apart in `pg_stat_activity`. */
  applicationName: string;
}

/**
 * A connection pool whose idle-connection errors (a server restart, a network cut) are reported to the
 * caller instead of crashing the process: `pg` emits them on the pool, and an unhandled 'error' event throws.
 */
export function openPool(options: PostgresPoolOptions, onIdleError: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', onIdleError);
  return pool;
}

/** SQLSTATEs the adapters act on. */
export const SQLSTATE = {
  uniqueViolation: '23505',
  undefinedTable: '42P01',
  duplicateTable: '42P07',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
