import type { Doc } from '../application/ports/readStore.ts';
import type { Projection } from './projection.ts';

export interface EventTypeStat extends Doc {
  count: number;
  lastPosition: number;
  lastAt: string;
}

/** How many events of each type the system holds, and when the last one came: the audit overview. */
export const eventTypeStats: Projection = {
  name: 'event_type_stats',
  version: 1,
  collections: { event_type_stats: [] },
  async apply(event, view) {
    await view
      .collection<EventTypeStat>('event_type_stats')
      .patch(
        event.type,
        { $inc: { count: 1 }, $set: { lastPosition: event.position, lastAt: event.metadata.timestamp } },
        { upsert: true },
      );
  },
};
