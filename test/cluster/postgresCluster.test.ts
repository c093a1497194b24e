import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runClusterScenario } from '../kit/clusterScenario.ts';
import { freshDatabase } from '../kit/postgres.ts';

/**
 * Three `m3m serve` nodes on one PostgreSQL (issue 17, "A cluster of m3m nodes"), three ports, each with a data dir
 * of its own (nothing shared but the database and the configured secrets): one node killed with SIGKILL and
 * another restarted during the load. See test/kit/clusterScenario.ts for what is checked.
 */
describe('a cluster of m3m nodes on PostgreSQL', () => {
  it('loses no acknowledged increment, runs no delivery twice after its success, each tick once, and matches a replay', async () => {
    const database = await freshDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), 'm3m-pg-cluster-'));
    for (let i = 0; i < 3; i++) await mkdir(join(dataDir, `node-${i}`), { mode: 0o700 });
    try {
      const figures = await runClusterScenario({
        env: {
          M3M_EVENT_STORE: 'postgres',
          M3M_READ_STORE: 'postgres',
          M3M_POSTGRES_URL: database.url,
          M3M_SECRETS_KEY: randomBytes(32).toString('base64'),
        },
        perNode: (i) => ({ M3M_DATA_DIR: join(dataDir, `node-${i}`) }),
        nodes: 3,
        restartOne: true,
        increments: 150,
      });
      expect(figures.acknowledged).toBeGreaterThan(100);
      console.info('cluster (PostgreSQL):', JSON.stringify(figures));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await database.drop();
    }
  }, 300_000);
});
