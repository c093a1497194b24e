import type { TestProject } from 'vitest/node';
import { type PostgresCluster, startPostgresCluster } from './kit/postgresCluster.ts';

/**
 * The PostgreSQL suites run against a real server in every `npm test`: this starts a throw-away cluster for
 * the run (or uses M3M_TEST_POSTGRES_URL, a superuser URL, when given) and fails the run with the reason
 * when it cannot. It is never skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.M3M_TEST_POSTGRES_URL;
  let cluster: PostgresCluster | undefined;
  if (!given) cluster = await startPostgresCluster({ durability: 'fast' });
  project.provide('postgresUrl', given ?? cluster!.url);
  return async () => {
    await cluster?.stop();
  };
}
