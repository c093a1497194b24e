import { defineConfig } from 'vitest/config';

/**
 * The MongoDB and KurrentDB contract suites, for machines that have those servers (e.g. `docker compose up
 * mongo kurrentdb`): each runs when its URL is set, and asking for none is an error rather than a run that
 * tests nothing. `npm test` leaves them out instead of listing them as skipped.
 */
const suites = [
  ['M3M_TEST_MONGO_URL', 'test/contract/readStore.mongodb.test.ts'],
  ['M3M_TEST_KURRENTDB_URL', 'test/contract/eventStore.kurrentdb.test.ts'],
] as const;

const include = suites.filter(([variable]) => process.env[variable]?.trim()).map(([, file]) => file);
if (include.length === 0) {
  throw new Error(
    `npm run test:external needs a server: set ${suites.map(([v]) => v).join(' and/or ')} (see docs/guide/storage.md).`,
  );
}

export default defineConfig({
  test: { include, testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' },
});
