import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runClusterScenario } from '../kit/clusterScenario.ts';

/**
 * Three `m3m serve` processes on one data dir (the embedded SQLite stores), three ports, one killed with SIGKILL
 * midway through the load: see test/kit/clusterScenario.ts for what is checked.
 */
describe('several m3m processes on one SQLite data dir', () => {
  it('lose no acknowledged increment, run no delivery twice after its success, each tick once, and match a replay', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'm3m-several-'));
    try {
      const figures = await runClusterScenario({
        env: { M3M_DATA_DIR: dataDir },
        nodes: 3,
        restartOne: false,
        increments: 150,
      });
      expect(figures.acknowledged).toBeGreaterThan(100);
      console.info('several processes (SQLite):', JSON.stringify(figures));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
