import { realignAfterReplay } from '../application/storeConsistency.ts';
import {
  checkpointCollectionOf,
  type RebuildProgress,
  type RebuildSummary,
} from '../projections/projectionRunner.ts';
import { WEBHOOK_OUTBOX } from '../projections/webhookOutbox.ts';
import type { M3m } from './composition.ts';

/**
 * What `m3m replay` (without `--projection`) and `m3m serve --replay-if-behind` do: every projection rebuilt
 * in one pass over `$all`, then the read store realigned with the event store (its identity recorded, the
 * runtime's and the webhook outbox's checkpoints no further than the store's head), so the feed's consumers may
 * follow it again.
 */
export async function rebuildReadModels(
  m3m: Pick<M3m, 'runner' | 'eventStore' | 'readStore'>,
  onProgress?: (progress: RebuildProgress) => void,
): Promise<RebuildSummary[]> {
  const summaries = await m3m.runner.replay(undefined, onProgress);
  await realignAfterReplay(m3m.eventStore, m3m.readStore, [
    { collection: checkpointCollectionOf(WEBHOOK_OUTBOX), id: 'checkpoint' },
  ]);
  return summaries;
}
