import {
  type AllStreamResolvedEvent,
  AppendRecordSizeExceededError,
  eventTypeFilter,
  excludeSystemEvents,
  type Filter,
  StreamDeletedError as KurrentStreamDeletedError,
  MaxAppendSizeExceededError,
  type ReadPosition,
  type ResolvedEvent,
  START,
  StreamTombstonedError,
  streamNameFilter,
  TransactionMaxSizeExceededError,
} from '@kurrent/kurrentdb-client';
import {
  AppendTooLargeError,
  type EventFilter,
  type EventMetadata,
  InvalidPositionError,
  type RecordedEvent,
  StreamDeletedError,
} from '../../application/ports/eventStore.ts';

/**
 * How the KurrentDB adapter translates between the port and `@kurrent/kurrentdb-client`: positions, filters,
 * recorded events and errors. Kept apart from the adapter so that it can be checked without a server.
 */

/**
 * Our positions are commit positions. Every event appended through gRPC is its own log record whose commit
 * and prepare positions are equal (see `toRecorded`), so a position read back as `{ commit: p, prepare: p }`
 * points at that record.
 */
export function toReadPosition(position: number): ReadPosition {
  if (position <= 0) return START;
  const at = BigInt(position);
  return { commit: at, prepare: at };
}

/** `'none'`: the filter can match nothing (an empty list), so there is nothing to ask the server. */
export type ServerFilter = Filter | 'none';

/**
 * The part of the filter the server applies. It takes one criterion, as a regular expression: the stream
 * prefixes when given (a prefix names a few streams, the narrower criterion in m3m's stream layout), else the
 * event types; `matchesFilter` applies the whole filter afterwards.
 */
export function toServerFilter(
  filter: EventFilter | undefined,
  checkpoints?: Pick<Filter, 'checkpointInterval' | 'checkpointReached'>,
): ServerFilter {
  const types = filter?.eventTypes;
  const prefixes = filter?.streamPrefixes;
  if (types?.length === 0 || prefixes?.length === 0) return 'none';
  const extra = checkpoints ?? {};
  if (prefixes) return streamNameFilter({ regex: prefixRegex(prefixes), ...extra });
  if (types) return eventTypeFilter({ regex: typeRegex(types), ...extra });
  return excludeSystemEvents(extra);
}

export function typeRegex(types: readonly string[]): string {
  return `^(?:${types.map(escapeRegex).join('|')})$`;
}

export function prefixRegex(prefixes: readonly string[]): string {
  return `^(?:${prefixes.map(escapeRegex).join('|')})`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function toSafeNumber(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`KurrentDB ${what} ${value} does not fit in a safe integer`);
  }
  return Number(value);
}

export function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | null {
  const event = resolved.event;
  if (!event) return null;
  const commit = event.position?.commit ?? resolved.commitPosition;
  if (commit === undefined) {
    throw new Error('KurrentDB returned an event without a position (server older than 22.6?)');
  }
  const prepare = event.position?.prepare;
  if (prepare !== undefined && prepare !== commit) {
    // Events written in an explicit transaction (the TCP API before 24.2) share their transaction's commit
    // position: one number per event cannot tell them apart, and resuming from one would skip the rest.
    throw new Error(
      `KurrentDB event ${event.id} in stream ${event.streamId} was written in an explicit transaction ` +
        `(commit position ${commit}, prepare position ${prepare}): m3m needs every event to have its own ` +
        'position. Copy such streams into new ones (one append per event) or use another store for m3m.',
    );
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

const INVALID_POSITION = /InvalidPosition|invalid position/i;
const TOO_LARGE = /Maximum\s?Append\s?(Event\s?)?Size|MaximumAppend(Event)?SizeExceeded/i;
const DELETED = /stream-deleted|StreamDeleted|stream-tombstoned/i;

/**
 * The port's error for what the server said, or the error itself. The server reports a read from inside a
 * record as `Unexpected ReadAllResult: InvalidPosition` (gRPC Unknown) on reads and `Trying to read from an
 * invalid position.` (InvalidArgument) on subscriptions; the client maps neither, so the message is matched.
 */
export function toPortError(error: unknown, context: { streamId?: string; fromPosition?: number }): unknown {
  if (!(error instanceof Error)) return error;
  if (context.fromPosition !== undefined && INVALID_POSITION.test(error.message)) {
    return new InvalidPositionError(context.fromPosition, error.message);
  }
  const streamId = context.streamId ?? 'unknown stream';
  if (
    error instanceof KurrentStreamDeletedError ||
    error instanceof StreamTombstonedError ||
    DELETED.test(error.message)
  ) {
    return new StreamDeletedError(streamId);
  }
  if (
    error instanceof MaxAppendSizeExceededError ||
    error instanceof AppendRecordSizeExceededError ||
    error instanceof TransactionMaxSizeExceededError ||
    TOO_LARGE.test(error.message)
  ) {
    return new AppendTooLargeError(streamId, error.message || error.constructor.name);
  }
  return error;
}
