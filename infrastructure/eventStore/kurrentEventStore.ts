import { randomUUID } from 'node:crypto';
import {
  type AllStreamResolvedEvent,
  ANY,
  type AppendStreamState,
  BACKWARDS,
  END,
  eventTypeFilter,
  excludeSystemEvents,
  type Filter,
  type JSONType,
  jsonEvent,
  type AppendResult as KurrentAppendResult,
  KurrentDBClient,
  NO_STREAM,
  type ReadPosition,
  type ResolvedEvent,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  streamNameFilter,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import { Observable } from 'rxjs';
import {
  type AppendResult,
  assertAppendable,
  type EventFilter,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  matchesFilter,
  type NewEvent,
  pageSize,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeAllOptions,
  WrongExpectedRevisionError,
} from '../../application/ports/eventStore.ts';

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
      throw error;
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
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const limit = pageSize(options.limit);
    const serverFilter = toServerFilter(options.filter);
    const events: RecordedEvent[] = [];
    let after = options.fromPosition ?? 0;
    // The server filters on one criterion only, so the rest is filtered here; keep reading until the page
    // is full or $all is exhausted, so that a short page still means "nothing more yet".
    for (;;) {
      // +1: the server's fromPosition is inclusive and the event at `after` comes back first.
      const batch = limit - events.length + 1;
      let seen = 0;
      let last = after;
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
      if (seen < batch || last === after) return events;
      after = last;
    }
  }

  subscribeAll(options: SubscribeAllOptions = {}): Observable<RecordedEvent> {
    return new Observable<RecordedEvent>((subscriber) => {
      const from = options.fromPosition ?? 0;
      let unsubscribed = false;
      const subscription = this.#client.subscribeToAll({
        fromPosition: toReadPosition(from),
        filter: toServerFilter(options.filter),
      });
      subscription.on('data', (resolved: AllStreamResolvedEvent) => {
        try {
          const event = toRecorded(resolved);
          // Our checkpoint is exclusive; the server may hand back the event sitting exactly on it.
          if (event && event.position > from && matchesFilter(event, options.filter)) subscriber.next(event);
        } catch (error) {
          subscriber.error(error);
        }
      });
      subscription.on('error', (error: Error) => {
        if (!unsubscribed) subscriber.error(error);
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
      throw error;
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

/** Our positions are commit positions; a single-event record has prepare == commit. */
function toReadPosition(position: number): ReadPosition {
  if (position <= 0) return START;
  const at = BigInt(position);
  return { commit: at, prepare: at };
}

/** One server-side criterion (the server takes one); `matchesFilter` applies the whole filter afterwards. */
function toServerFilter(filter: EventFilter | undefined): Filter {
  if (filter?.eventTypes && filter.eventTypes.length > 0) {
    return eventTypeFilter({ regex: `^(?:${filter.eventTypes.map(escapeRegex).join('|')})$` });
  }
  if (filter?.streamPrefixes && filter.streamPrefixes.length > 0) {
    return streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  }
  return excludeSystemEvents();
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function toSafeNumber(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`KurrentDB ${what} ${value} does not fit in a safe integer`);
  }
  return Number(value);
}

function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | null {
  const event = resolved.event;
  if (!event) return null;
  const commit = event.position?.commit ?? resolved.commitPosition;
  if (commit === undefined) {
    throw new Error('KurrentDB returned an event without a position (server older than 22.6?)');
  }
  return {
    id: event.id,
    streamId: event.streamId,
    type: event.type,
    revision: toSafeNumber(event.revision, 'revision'),
    position: toSafeNumber(commit, 'position'),
    data: event.data,
    metadata: event.metadata as unknown as EventMetadata,
  };
}
