import type { RecordedEvent } from '../ports/eventStore.ts';
import { findAll } from '../ports/findAll.ts';
import type { ReadStore } from '../ports/readStore.ts';
import { readModelMemo } from '../readModelMemo.ts';
import { WORKER_EVENT_TRIGGERS, type WorkerEventTriggerDoc } from '../workers/readModel.ts';

/**
 * Which events some worker may listen to: the (project, type) pairs of the workers' event triggers (enabled and
 * deployed or not: the runtime subscriber looks at the workers themselves for those it keeps). One definition for
 * the runtime subscriber, which matches every event it gets against it, and for the projection thread, which
 * relays the subscriber only the events that pass it (ADR 33): both read it from the workers read model through
 * the same memo, dropped whenever the workers projection moves.
 */

/** The key of a (project, event type) pair. */
export const triggerPair = (projectId: string, eventType: string) => `${projectId}\u0000${eventType}`;

/** The project an event belongs to: `data.projectId` (built-in events and custom ones carry it). */
export function projectOf(event: RecordedEvent): string | null {
  const data = event.data as { projectId?: unknown } | null;
  return data && typeof data === 'object' && typeof data.projectId === 'string' ? data.projectId : null;
}

/** The (project, type) pairs some worker lists, from memory while the workers projection has not moved. */
export async function listenedPairs(readStore: ReadStore): Promise<ReadonlySet<string>> {
  const pairs = await readModelMemo<Set<string>>(readStore, 'workers', 'eventTriggerPairs').get(
    'all',
    async () =>
      new Set(
        (await findAll(readStore.collection<WorkerEventTriggerDoc>(WORKER_EVENT_TRIGGERS))).map((t) =>
          triggerPair(t.projectId, t.eventType),
        ),
      ),
  );
  return pairs ?? new Set();
}

/** Whether some worker may listen to `event`, given the pairs of `listenedPairs`. */
export function mayBeListenedTo(pairs: ReadonlySet<string>, event: RecordedEvent): boolean {
  const projectId = projectOf(event);
  return projectId !== null && pairs.has(triggerPair(projectId, event.type));
}
