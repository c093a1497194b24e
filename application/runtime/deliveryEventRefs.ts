import type { EventStore } from '../ports/eventStore.ts';
import { findAll } from '../ports/findAll.ts';
import type { ReadStore } from '../ports/readStore.ts';
import { type DeliveryDoc, WORKER_DELIVERIES } from './deliveries.ts';

/**
 * Deliveries recorded before m3m kept their event's stream and revision hold only its `$all` position, which
 * cannot be read from (ADR 10). At start, the ones still to run get their stream and revision from one scan of
 * `$all` for their event types, up to the highest of their positions. One whose event is not found keeps none
 * and is recorded `skipped` (`event_not_found`) when its turn comes. Returns how many were completed.
 */
export async function addEventRefs(
  eventStore: EventStore,
  readStore: ReadStore,
  logger: { info(obj: object, msg: string): void },
): Promise<number> {
  const deliveries = readStore.collection<DeliveryDoc>(WORKER_DELIVERIES);
  const legacy = await findAll(deliveries, {
    streamId: null,
    status: { $in: ['queued', 'deferred', 'in_flight'] },
  });
  if (legacy.length === 0) return 0;
  const byEvent = new Map<string, DeliveryDoc[]>();
  for (const doc of legacy) byEvent.set(doc.eventId, [...(byEvent.get(doc.eventId) ?? []), doc]);
  const eventTypes = [...new Set(legacy.map((doc) => doc.eventType))];
  const last = Math.max(...legacy.map((doc) => doc.position));
  let completed = 0;
  let from = 0;
  scan: for (;;) {
    const page = await eventStore.readAll({ fromPosition: from, filter: { eventTypes } });
    for (const event of page) {
      if (event.position > last) break scan;
      for (const doc of byEvent.get(event.id) ?? []) {
        await deliveries.patch(doc.id, { $set: { streamId: event.streamId, revision: event.revision } });
        completed += 1;
      }
    }
    if (page.length === 0) break;
    from = page.at(-1)!.position;
  }
  logger.info(
    { deliveries: legacy.length, completed },
    'deliveries recorded without their event stream and revision: added from $all',
  );
  return completed;
}
