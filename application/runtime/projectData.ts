import type { ReadStore } from '../ports/readStore.ts';
import { WORKER_INVOCATIONS, WORKER_STATS_DAILY } from '../workers/readModel.ts';
import { WORKER_DELIVERIES } from './deliveries.ts';
import { modelCollectionPrefix } from './models.ts';
import { PROJECT_LOG_USAGE, PROJECT_USAGE } from './projectUsage.ts';
import { SCHEDULE_TICKS } from './scheduler.ts';
import { WORKER_BREAKERS } from './workerGuard.ts';

/**
 * What the runtime keeps for a project that no projection owns: its workers' data (`m3m.models`) and what
 * running them recorded (invocation records, daily statistics, event deliveries, schedule ticks, their workers'
 * circuit breakers, its quota usage). Primary
 * data, but the project's: it goes when the project does. Safe to repeat.
 */
export async function deleteProjectData(readStore: ReadStore, projectId: string): Promise<void> {
  const prefix = modelCollectionPrefix(projectId);
  for (const name of await readStore.listCollections()) {
    if (name.startsWith(prefix)) await readStore.dropCollection(name);
  }
  for (const collection of [
    WORKER_INVOCATIONS,
    WORKER_STATS_DAILY,
    WORKER_DELIVERIES,
    SCHEDULE_TICKS,
    PROJECT_LOG_USAGE,
    WORKER_BREAKERS,
  ]) {
    await readStore.collection(collection).deleteMany({ projectId });
  }
  await readStore.collection(PROJECT_USAGE).delete(projectId);
}
