import type { Pool } from 'pg';

/** One step of a store's schema. Never edit a released migration: add the next version instead. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Serializes migrators of every m3m process on the database (a cluster's nodes start at once). */
const MIGRATION_LOCK = 0x6d336d00; // "m3m\0"

/**
 * Brings `component`'s schema up to its newest migration, each migration in its own transaction with its
 * bookkeeping row, so a failure leaves the schema at the last version that fully applied. Refuses a database
 * whose schema is newer than this m3m knows: an older m3m must not write into a layout it does not understand.
 */
export async function migrate(
  pool: Pool,
  component: string,
  migrations: readonly Migration[],
): Promise<number> {
  const known = migrations.at(-1)?.version ?? 0;
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${component} migrations must be numbered 1, 2, 3…`);
  });
  const client = await pool.connect();
  try {
    for (const migration of [{ version: 0, name: '', sql: '' }, ...migrations]) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await client.query(`CREATE TABLE IF NOT EXISTS m3m_schema_migrations (
          component text NOT NULL,
          version integer NOT NULL,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (component, version)
        )`);
        const { rows } = await client.query<{ version: number | null }>(
          'SELECT max(version) AS version FROM m3m_schema_migrations WHERE component = $1',
          [component],
        );
        const current = rows[0]?.version ?? 0;
        if (current > known) {
          throw new Error(
            `The PostgreSQL ${component} schema is at version ${current}, newer than this m3m knows (${known}): run a newer m3m.`,
          );
        }
        if (migration.version > current) {
          await client.query(migration.sql);
          await client.query(
            'INSERT INTO m3m_schema_migrations (component, version, name) VALUES ($1, $2, $3)',
            [component, migration.version, migration.name],
          );
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    }
    return known;
  } finally {
    client.release();
  }
}
