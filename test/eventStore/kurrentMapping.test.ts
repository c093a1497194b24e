import {
  AppendRecordSizeExceededError,
  EVENT_TYPE,
  StreamDeletedError as KurrentStreamDeletedError,
  MaxAppendSizeExceededError,
  STREAM_NAME,
  StreamTombstonedError,
  UnknownError,
} from '@kurrent/kurrentdb-client';
import { describe, expect, it } from 'vitest';
import {
  AppendTooLargeError,
  InvalidPositionError,
  StreamDeletedError,
} from '../../application/ports/eventStore.ts';
import {
  prefixRegex,
  toPortError,
  toRecorded,
  toServerFilter,
  typeRegex,
} from '../../infrastructure/eventStore/kurrentMapping.ts';

// The KurrentDB adapter's translations, checked with the client library's own error classes and the messages
// the server sends (from KurrentDB's source: Streams.Read.cs, RpcExceptions.cs, Status.cs); the adapter as a
// whole runs against a server in the contract suite when M3M_TEST_KURRENTDB_URL is set.

function recorded(commit: bigint, prepare: bigint) {
  return {
    event: {
      id: '3f0c7a4e-9d1b-4a55-9a55-2f2f2f2f2f2f',
      streamId: 'goal-1',
      type: 'GoalIncremented',
      revision: 4n,
      data: { by: 1 },
      metadata: { source: 'api' },
      isJson: true,
      created: new Date(),
      position: { commit, prepare },
    },
  } as unknown as Parameters<typeof toRecorded>[0];
}

describe('KurrentDB mapping', () => {
  it('reads an event whose commit and prepare positions agree as one position', () => {
    expect(toRecorded(recorded(4096n, 4096n))).toMatchObject({
      streamId: 'goal-1',
      revision: 4,
      position: 4096,
    });
  });

  it('refuses an event written in an explicit transaction, naming the cause', () => {
    expect(() => toRecorded(recorded(8192n, 4096n))).toThrow(/explicit transaction.*8192.*4096/);
  });

  it("maps the server's invalid-position answers to InvalidPositionError", () => {
    const onRead = new UnknownError(
      new Error(
        'Server-side error: status: Unknown, message: "Unexpected FilteredReadAllResult: InvalidPosition >> Log record at actual pos 4097 has too large length: 1852796517 bytes, while limit is 16777216 bytes."',
      ) as never,
    );
    const onSubscribe = new UnknownError(
      new Error('3 INVALID_ARGUMENT: Trying to read from an invalid position.') as never,
    );
    for (const error of [onRead, onSubscribe]) {
      const mapped = toPortError(error, { fromPosition: 4097 });
      expect(mapped).toBeInstanceOf(InvalidPositionError);
      expect(mapped).toMatchObject({ position: 4097 });
    }
    // Outside a read from a position the same words mean nothing of the kind.
    expect(toPortError(onRead, { streamId: 's' })).toBe(onRead);
  });

  it('maps a deleted or tombstoned stream to StreamDeletedError', () => {
    for (const error of [
      KurrentStreamDeletedError.fromStreamName('goal-1'),
      new StreamTombstonedError(undefined as never, { stream: 'goal-1' } as never),
      new UnknownError(undefined, 'Could not recognize StreamDeleted'),
    ]) {
      const mapped = toPortError(error, { streamId: 'goal-1' });
      expect(mapped).toBeInstanceOf(StreamDeletedError);
      expect(mapped).toMatchObject({ streamId: 'goal-1' });
    }
  });

  it('maps every form of "append too large" to AppendTooLargeError', () => {
    for (const error of [
      MaxAppendSizeExceededError.fromMaxAppendSize(1_048_576),
      new AppendRecordSizeExceededError(
        undefined as never,
        {
          stream: 'w',
          recordId: 'r',
          size: 2,
          maxSize: 1,
        } as never,
      ),
      // batchAppend does not know the newer status and says so; append sends the server's sentence.
      new UnknownError(undefined, 'Could not recognize MaximumAppendEventSizeExceeded'),
      new UnknownError(
        new Error(
          '3 INVALID_ARGUMENT: Event with Id: 3f0c, Size: 17000000, exceeds Maximum Append Event Size of 16777216.',
        ) as never,
      ),
    ]) {
      expect(toPortError(error, { streamId: 'worker-1' })).toBeInstanceOf(AppendTooLargeError);
    }
    const other = new Error('connection reset');
    expect(toPortError(other, { streamId: 'worker-1', fromPosition: 0 })).toBe(other);
  });

  it('sends one criterion to the server as an anchored, escaped regular expression', () => {
    expect(toServerFilter({ eventTypes: [] })).toBe('none');
    expect(toServerFilter({ eventTypes: ['A'], streamPrefixes: [] })).toBe('none');

    const byType = toServerFilter({ eventTypes: ['GoalDefined', 'Goal.Deleted'] });
    expect(byType).toMatchObject({ filterOn: EVENT_TYPE, regex: typeRegex(['GoalDefined', 'Goal.Deleted']) });
    const types = new RegExp(typeRegex(['GoalDefined', 'Goal.Deleted']));
    expect(['GoalDefined', 'Goal.Deleted'].every((t) => types.test(t))).toBe(true);
    expect(['GoalDefinedX', 'XGoalDefined', 'GoalxDeleted', '$GoalDefined'].some((t) => types.test(t))).toBe(
      false,
    );

    // Prefixes, being the narrower criterion, go to the server when both are given.
    const both = toServerFilter({ eventTypes: ['A'], streamPrefixes: ['goal-', 'user$1'] });
    expect(both).toMatchObject({ filterOn: STREAM_NAME, regex: prefixRegex(['goal-', 'user$1']) });
    const prefixes = new RegExp(prefixRegex(['goal-', 'user$1']));
    expect(['goal-1', 'user$1-x'].every((s) => prefixes.test(s))).toBe(true);
    expect(['xgoal-1', 'user1', 'Goal-1'].some((s) => prefixes.test(s))).toBe(false);

    const withCheckpoints = toServerFilter(undefined, { checkpointInterval: 32 });
    expect(withCheckpoints).toMatchObject({ filterOn: EVENT_TYPE, regex: '^[^$].*', checkpointInterval: 32 });
  });
});
