import type { Doc } from '../application/ports/readStore.ts';
import type { Projection } from './projection.ts';

export interface EventTypeStat extends Doc {
  count: number;
  lastPosition: number;
  lastAt: string;
}

/**
 * How many events of each type the system holds, and when the last one came: the audit overview. A page is
 * folded into one `$inc` per type (a replay of a million increments is a thousand writes, not a million).
 */
export const eventTypeStats: Projection = {
  name: 'event_type_stats',
  version: 1,
  collections: { event_type_stats: [] },
  async apply(event, view) {
    await eventTypeStats.applyPage!([event], view);
  },
  async applyPage(events, view) {
    const byType = new Map<string, { count: number; lastPosition: number; lastAt: string }>();
    for (const event of events) {
      const stat = byType.get(event.type);
      if (stat) {
        stat.count += 1;
        stat.lastPosition = event.position;
        stat.lastAt = event.metadata.timestamp;
      } else {
        byType.set(event.type, { count: 1, lastPosition: event.position, lastAt: event.metadata.timestamp });
      }
    }
    const stats = view.collection<EventTypeStat>('event_type_stats');
    for (const [type, { count, lastPosition, lastAt }] of byType) {
      await stats.patch(type, { $inc: { count }, $set: { lastPosition, lastAt } }, { upsert: true });
    }
  },
};
