import { map, Observable } from 'rxjs';
import {
  type EventStore,
  InvalidPositionError,
  type RecordedEvent,
  type SubscribeAllOptions,
} from '../../application/ports/eventStore.ts';

/**
 * The real store with KurrentDB's kind of positions: every position is multiplied by `stride`, as byte offsets
 * in a log would be, and a `fromPosition` that is not one (say, an event's position minus one) is refused with
 * `InvalidPositionError`, as KurrentDB refuses to read from inside a record. Code that computes positions
 * instead of using the ones the store returned fails here the way it would on KurrentDB.
 */
export function withSparsePositions(store: EventStore, stride = 1024): EventStore {
  const out = (event: RecordedEvent): RecordedEvent => ({ ...event, position: event.position * stride });
  const inner = (position: number | undefined): number | undefined => {
    if (position === undefined || !Number.isSafeInteger(position) || position < 0) return position;
    if (position % stride !== 0) throw new InvalidPositionError(position, 'inside a record');
    return position / stride;
  };
  return {
    append: async (streamId, events, options) => {
      const result = await store.append(streamId, events, options);
      return { ...result, position: result.position * stride };
    },
    ...(store.appendAtomically && {
      appendAtomically: async (writes) =>
        (await store.appendAtomically!(writes)).map((r) => ({ ...r, position: r.position * stride })),
    }),
    readStream: async (streamId, options) => (await store.readStream(streamId, options)).map(out),
    readEvent: async (streamId, revision) => {
      const event = await store.readEvent(streamId, revision);
      return event && out(event);
    },
    readPositions: async (positions) =>
      (await store.readPositions(positions.map((position) => inner(position)!))).map(out),
    readAll: async (options = {}) =>
      (await store.readAll({ ...options, fromPosition: inner(options.fromPosition) })).map(out),
    subscribeAll: (options: SubscribeAllOptions = {}): Observable<RecordedEvent> => {
      let fromPosition: number | undefined;
      try {
        fromPosition = inner(options.fromPosition);
      } catch (error) {
        return new Observable<RecordedEvent>((subscriber) => subscriber.error(error));
      }
      const { onCheckpoint } = options;
      return store
        .subscribeAll({
          ...options,
          fromPosition,
          onCheckpoint: onCheckpoint && ((position) => onCheckpoint(position * stride)),
        })
        .pipe(map(out));
    },
    headPosition: async () => (await store.headPosition()) * stride,
    close: () => store.close(),
  };
}
