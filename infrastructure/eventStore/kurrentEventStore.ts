import { randomUUID } from 'node:crypto';
import {
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  ANY,
  type AppendStreamState,
  BACKWARDS,
  END,
  excludeSystemEvents,
  type JSONType,
  jsonEvent,
  type AppendResult as KurrentAppendResult,
  KurrentDBClient,
  type Position as KurrentPosition,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import { Observable } from 'rxjs';
import {
  type AppendResult,
  assertAppendable,
  assertRevision,
  checkedPositions,
  type EventStore,
  type ExpectedRevision,
  matchesFilter,
  type NewEvent,
  pageSize,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  StreamDeletedError,
  type SubscribeAllOptions,
  startPosition,
  WrongExpectedRevisionError,
} from '../../application/ports/eventStore.ts';
import { toPortError, toReadPosition, toRecorded, toSafeNumber, toServerFilter } from './kurrentMapping.ts';

/** Server checkpoints of a filtered subscription come every 32 × this many events looked at. */
const CHECKPOINT_INTERVAL = 32;

export function openKurrentEventStore(options: { connectionString: string }): KurrentEventStore {
  return new KurrentEventStore(KurrentDBClient.connectionString(options.connectionString));
}

export class KurrentEventStore implements EventStore {
  readonly #client: KurrentDBClient;

  constructor(client: KurrentDBClient) {
    this.#client = client;
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const expected = options.expectedRevision;
    assertAppendable(events, expected);
    // The server has no "check only" append: an empty append is answered from the stream's last event.
    if (events.length === 0) {
      const last = await this.#lastOfStream(streamId);
      const actual = last?.revision ?? null;
      if (!revisionMatches(expected, actual)) {
        throw new WrongExpectedRevisionError(streamId, expected, actual);
      }
      return { nextRevision: actual ?? -1, position: last?.position ?? 0 };
    }
    const data = events.map((event) =>
      jsonEvent({
        id: event.id ?? randomUUID(),
        type: event.type,
        data: event.data as JSONType,
        metadata: event.metadata as unknown as JSONType,
      }),
    );
    let result: KurrentAppendResult;
    try {
      result = await this.#client.appendToStream(streamId, data, { streamState: toStreamState(expected) });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual =
          typeof error.actualState === 'bigint' && error.actualState >= 0n ? Number(error.actualState) : null;
        throw new WrongExpectedRevisionError(streamId, expected, actual);
      }
      throw toPortError(error, { streamId });
    }
    if (!result.success) {
      // Only reachable when the connection string sets throwOnAppendFailure=false.
      const actual = (await this.#lastOfStream(streamId))?.revision ?? null;
      throw new WrongExpectedRevisionError(streamId, expected, actual);
    }
    const nextRevision = toSafeNumber(result.nextExpectedRevision, 'revision');
    // An idempotent replay of the same event ids returns no position: read it back.
    const position = result.position
      ? toSafeNumber(result.position.commit, 'position')
      : ((await this.#lastOfStream(streamId))?.position ?? 0);
    return { nextRevision, position };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.#client.readStream(streamId, {
        fromRevision: options.fromRevision ? BigInt(options.fromRevision) : START,
        maxCount: options.limit ?? Number.MAX_SAFE_INTEGER,
      })) {
        const event = toRecorded(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw toPortError(error, { streamId });
    }
    return events;
  }

  async readEvent(streamId: string, revision: number): Promise<RecordedEvent | null> {
    assertRevision(revision);
    try {
      for await (const resolved of this.#client.readStream(streamId, {
        fromRevision: BigInt(revision),
        maxCount: 1,
      })) {
        const event = toRecorded(resolved);
        // A truncated stream ($tb) answers with its first remaining event instead.
        return event?.revision === revision ? event : null;
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      const mapped = toPortError(error, { streamId });
      if (mapped instanceof StreamDeletedError) return null;
      throw mapped;
    }
    return null;
  }

  /**
   * One read of `$all` per position, starting at it (the server's `fromPosition` is inclusive: the event there
   * comes first), a few at a time. KurrentDB has no read of several positions at once.
   */
  async readPositions(positions: readonly number[]): Promise<RecordedEvent[]> {
    const wanted = checkedPositions(positions);
    const found: RecordedEvent[] = [];
    const readOne = async (position: number) => {
      try {
        for await (const resolved of this.#client.readAll({
          fromPosition: toReadPosition(position),
          maxCount: 1,
        })) {
          const event = toRecorded(resolved);
          if (event?.position === position && !event.type.startsWith('$')) found.push(event);
        }
      } catch (error) {
        throw toPortError(error, { fromPosition: position });
      }
    };
    for (let i = 0; i < wanted.length; i += 16) await Promise.all(wanted.slice(i, i + 16).map(readOne));
    return found.sort((a, b) => a.position - b.position);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const limit = pageSize(options.limit);
    const from = startPosition(options.fromPosition);
    const serverFilter = toServerFilter(options.filter);
    if (serverFilter === 'none') return [];
    const events: RecordedEvent[] = [];
    let after = from;
    // The server applies one criterion of the filter and this side the rest; keep reading until the page is
    // full or $all is exhausted, so that a short page still means "nothing more yet". Each call starts at a
    // position the server returned (or the caller's), never at one computed here.
    for (;;) {
      // +1: the server's fromPosition is inclusive and the event at `after` comes back first.
      const batch = limit - events.length + 1;
      let seen = 0;
      let last = after;
      try {
        for await (const resolved of this.#client.readAll({
          fromPosition: toReadPosition(after),
          maxCount: batch,
          filter: serverFilter,
        })) {
          seen += 1;
          const event = toRecorded(resolved);
          if (!event || event.position <= after) continue;
          last = event.position;
          if (matchesFilter(event, options.filter)) events.push(event);
          if (events.length === limit) return events;
        }
      } catch (error) {
        throw toPortError(error, { fromPosition: after });
      }
      if (seen < batch || last === after) return events;
      after = last;
    }
  }

  subscribeAll(options: SubscribeAllOptions = {}): Observable<RecordedEvent> {
    return new Observable<RecordedEvent>((subscriber) => {
      let from: number;
      try {
        from = startPosition(options.fromPosition);
      } catch (error) {
        subscriber.error(error);
        return;
      }
      const onCheckpoint = options.onCheckpoint;
      const serverFilter = toServerFilter(
        options.filter,
        onCheckpoint
          ? {
              checkpointInterval: CHECKPOINT_INTERVAL,
              // Runs inside the subscription's stream, so the marker lands after every event read before it.
              checkpointReached: async (subscription: AllStreamSubscription, position: KurrentPosition) => {
                const at = await this.#eventPositionAt(position);
                if (at !== null) subscription.push(new CheckpointMarker(at));
              },
            }
          : undefined,
      );
      // Nothing can match: only checkpoints could ever come, and the head is one.
      if (serverFilter === 'none') {
        this.headPosition().then(
          (head) => {
            if (head > from && !subscriber.closed) onCheckpoint?.(head);
          },
          (error: unknown) => subscriber.error(error),
        );
        return;
      }
      let unsubscribed = false;
      let checkpoint = from;
      const subscription = this.#client.subscribeToAll({
        fromPosition: toReadPosition(from),
        filter: serverFilter,
      });
      subscription.on('data', (resolved: AllStreamResolvedEvent | CheckpointMarker) => {
        try {
          if (resolved instanceof CheckpointMarker) {
            if (resolved.position > checkpoint) {
              checkpoint = resolved.position;
              onCheckpoint?.(resolved.position);
            }
            return;
          }
          const event = toRecorded(resolved);
          // Our checkpoint is exclusive; the server may hand back the event sitting exactly on it.
          if (event && event.position > from && matchesFilter(event, options.filter)) {
            checkpoint = Math.max(checkpoint, event.position);
            subscriber.next(event);
          }
        } catch (error) {
          subscriber.error(error);
        }
      });
      subscription.on('error', (error: Error) => {
        if (!unsubscribed) subscriber.error(toPortError(error, { fromPosition: from }));
      });
      // A catch-up subscription never ends by itself; ending quietly would look like "no new events".
      subscription.on('end', () => {
        if (!unsubscribed) subscriber.error(new Error('KurrentDB subscription to $all ended unexpectedly'));
      });
      return () => {
        unsubscribed = true;
        subscription.unsubscribe().catch(() => {});
      };
    });
  }

  async headPosition(): Promise<number> {
    for await (const resolved of this.#client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 1,
      filter: excludeSystemEvents(),
    })) {
      const event = toRecorded(resolved);
      if (event) return event.position;
    }
    return 0;
  }

  async close(): Promise<void> {
    await this.#client.dispose();
  }

  /**
   * A server checkpoint as one of our positions. A checkpoint whose commit and prepare positions agree is an
   * event's position. Others (`{ commit: next record, prepare: 0 }` after a page) mean "everything before
   * `commit` was looked at": the event just before it is the position that says so in our terms.
   */
  async #eventPositionAt(position: KurrentPosition): Promise<number | null> {
    if (position.commit === position.prepare) return toSafeNumber(position.commit, 'position');
    const before = { commit: position.commit, prepare: position.commit };
    for await (const resolved of this.#client.readAll({
      direction: BACKWARDS,
      fromPosition: before,
      maxCount: 1,
    })) {
      const commit = resolved.event?.position?.commit ?? resolved.commitPosition;
      return commit === undefined ? null : toSafeNumber(commit, 'position');
    }
    return null;
  }

  async #lastOfStream(streamId: string): Promise<{ revision: number; position: number } | null> {
    try {
      for await (const resolved of this.#client.readStream(streamId, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      })) {
        const event = toRecorded(resolved);
        if (event) return { revision: event.revision, position: event.position };
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      throw toPortError(error, { streamId });
    }
    return null;
  }
}

function revisionMatches(expected: ExpectedRevision, actual: number | null): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === null;
  if (expected === 'stream_exists') return actual !== null;
  return actual === expected;
}

function toStreamState(expected: ExpectedRevision): AppendStreamState {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  return BigInt(expected);
}

/** Pushed into the subscription's stream by `checkpointReached`, between the events it read. */
class CheckpointMarker {
  readonly position: number;
  constructor(position: number) {
    this.position = position;
  }
}
