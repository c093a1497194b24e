import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventSchemaRegistry } from '../../application/commands/eventSchemas.ts';
import { handleCommand } from '../../application/commands/handleCommand.ts';
import type { Clock } from '../../application/ports/clock.ts';
import { type Decider, DomainError } from '../../domain/decider.ts';
import { openTempStores, type TempStores } from '../kit/stores.ts';

type Command = { type: 'Open'; limit: number } | { type: 'Take' };
type Event = { type: 'Opened'; data: { limit: number } } | { type: 'Taken'; data: { ticket: number } };
interface State {
  open: boolean;
  limit: number;
  taken: number;
}

/** A ticket box: at most `limit` tickets, each number handed out once. */
const tickets: Decider<Command, State, Event> = {
  initialState: { open: false, limit: 0, taken: 0 },
  decide(command, state) {
    if (command.type === 'Open') {
      if (state.open) throw new DomainError('already_open', 'The box is already open');
      return [{ type: 'Opened', data: { limit: command.limit } }];
    }
    if (!state.open) throw new DomainError('not_open', 'The box is not open');
    if (state.taken >= state.limit) throw new DomainError('sold_out', 'No tickets left');
    return [{ type: 'Taken', data: { ticket: state.taken + 1 } }];
  },
  evolve(state, event) {
    if (event.type === 'Opened') return { ...state, open: true, limit: event.data.limit };
    return { ...state, taken: event.data.ticket };
  },
};

const fixedClock: Clock = { now: () => new Date('2026-01-02T03:04:05.000Z') };

describe('handleCommand', () => {
  let stores: TempStores;
  const deps = () => ({
    eventStore: stores.eventStore,
    schemas: new EventSchemaRegistry(),
    clock: fixedClock,
  });

  beforeEach(async () => {
    stores = await openTempStores();
  });
  afterEach(async () => {
    await stores.cleanup();
  });

  it('appends the decided events with the full audit metadata', async () => {
    const result = await handleCommand(
      deps(),
      'box-1',
      tickets,
      { type: 'Open', limit: 3 },
      {
        actorId: 'user-1',
        source: 'api',
        correlationId: 'corr-1',
        causationId: 'req-1',
      },
    );
    expect(result.revision).toBe(0);
    const [event] = await stores.eventStore.readStream('box-1');
    expect(event).toMatchObject({
      id: result.events[0]!.id,
      type: 'Opened',
      data: { limit: 3 },
      metadata: {
        actorId: 'user-1',
        source: 'api',
        correlationId: 'corr-1',
        causationId: 'req-1',
        schemaVersion: 1,
        timestamp: '2026-01-02T03:04:05.000Z',
      },
    });
  });

  it('writes nothing when the decider refuses', async () => {
    await expect(
      handleCommand(deps(), 'box-2', tickets, { type: 'Take' }, { actorId: null, source: 'cli' }),
    ).rejects.toMatchObject({ code: 'not_open' });
    expect(await stores.eventStore.readStream('box-2')).toEqual([]);
  });

  it('under 60 concurrent commands on one stream, retries conflicts and never loses or doubles a decision', async () => {
    const ctx = { actorId: null, source: 'system' };
    await handleCommand(deps(), 'box-3', tickets, { type: 'Open', limit: 50 }, ctx);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, () => handleCommand(deps(), 'box-3', tickets, { type: 'Take' }, ctx)),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(50);
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(rejected.map((o) => (o.reason as DomainError).code)).toEqual(Array(10).fill('sold_out'));
    const stream = await stores.eventStore.readStream('box-3');
    expect(stream.slice(1).map((e) => (e.data as { ticket: number }).ticket)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  it('loads old event versions through their upcasters', async () => {
    await stores.eventStore.append(
      'box-4',
      [
        {
          type: 'Opened',
          data: { max: 1 },
          metadata: {
            actorId: null,
            correlationId: 'c',
            causationId: null,
            source: 'system',
            schemaVersion: 1,
            timestamp: new Date().toISOString(),
          },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    const schemas = new EventSchemaRegistry().register('Opened', {
      version: 2,
      upcasters: { 1: (data) => ({ limit: (data as { max: number }).max }) },
    });
    const d = { ...deps(), schemas };
    const ctx = { actorId: null, source: 'system' };
    const taken = await handleCommand(d, 'box-4', tickets, { type: 'Take' }, ctx);
    expect(taken.events[0]!.data).toEqual({ ticket: 1 });
    await expect(handleCommand(d, 'box-4', tickets, { type: 'Take' }, ctx)).rejects.toMatchObject({
      code: 'sold_out',
    });
  });
});
