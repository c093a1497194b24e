import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Decider, DomainEvent } from '../../domain/decider.ts';
import { type CommandContext, type CommandDeps, storedMetadata } from '../context.ts';
import { type NewEvent, WrongExpectedRevisionError } from '../ports/eventStore.ts';
import { loadAggregate } from './loadAggregate.ts';

export interface CommandResult<Event extends DomainEvent> {
  events: (Event & { id: string })[];
  /** Revision of the stream after the append (unchanged when no event was decided). */
  revision: number | null;
  /** `$all` position of the last appended event; a reader can wait for projections to reach it. */
  position: number | null;
}

/** Another writer kept winning the race for the same stream. */
export class ConcurrencyError extends Error {
  constructor(streamId: string, attempts: number) {
    super(`Stream ${streamId} kept changing; gave up after ${attempts} attempts`);
    this.name = 'ConcurrencyError';
  }
}

const MAX_ATTEMPTS = 25;

/**
 * Load → decide → append with the expected revision; when another writer got there first, load again and
 * decide again against the new state. Deciders are pure, so a retry cannot double an effect.
 */
export async function handleCommand<Command, State, Event extends DomainEvent>(
  deps: CommandDeps,
  streamId: string,
  decider: Decider<Command, State, Event>,
  command: Command,
  context: CommandContext,
): Promise<CommandResult<Event>> {
  const stamped = { ...context, correlationId: context.correlationId ?? randomUUID() };
  for (let attempt = 1; ; attempt++) {
    const { state, revision } = await loadAggregate(deps.eventStore, deps.schemas, streamId, decider);
    const decided = decider.decide(command, state);
    if (decided.length === 0) return { events: [], revision, position: null };

    const now = deps.clock.now();
    const events = decided.map((event) => ({ ...event, id: randomUUID() }));
    const toAppend: NewEvent[] = events.map((event) => ({
      id: event.id,
      type: event.type,
      data: event.data,
      metadata: storedMetadata(stamped, deps.schemas.currentVersion(event.type), now),
    }));
    try {
      const result = await deps.eventStore.append(streamId, toAppend, {
        expectedRevision: revision === null ? 'no_stream' : revision,
      });
      return { events, revision: result.nextRevision, position: result.position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      if (attempt >= MAX_ATTEMPTS) throw new ConcurrencyError(streamId, attempt);
      // Jittered backoff spreads out writers that keep colliding on a hot stream.
      await sleep(Math.random() * Math.min(50, 2 ** attempt));
    }
  }
}

/** One command of `handleCommandsAtomically`: its stream, decider and command. */
export interface StreamCommand {
  streamId: string;
  // biome-ignore lint/suspicious/noExplicitAny: each command has its own decider's types.
  decider: Decider<any, any, DomainEvent>;
  command: unknown;
}

/**
 * Like `handleCommand` for several streams at once, on an event store that appends to several streams in one
 * transaction (`EventStore.appendAtomically`): every command is decided against its stream's state, and all
 * their events are written together or none (a slug reservation with the creation it guards). A conflict on any
 * stream loads and decides all again. A decider's refusal is thrown as it is, and nothing is written.
 */
export async function handleCommandsAtomically(
  deps: CommandDeps,
  commands: readonly StreamCommand[],
  context: CommandContext,
): Promise<CommandResult<DomainEvent>[]> {
  const appendAtomically = deps.eventStore.appendAtomically?.bind(deps.eventStore);
  if (!appendAtomically) throw new Error('This event store cannot append to several streams atomically');
  const stamped = { ...context, correlationId: context.correlationId ?? randomUUID() };
  for (let attempt = 1; ; attempt++) {
    const now = deps.clock.now();
    const decided = [];
    for (const { streamId, decider, command } of commands) {
      const { state, revision } = await loadAggregate(deps.eventStore, deps.schemas, streamId, decider);
      const events = decider.decide(command, state).map((event) => ({ ...event, id: randomUUID() }));
      decided.push({ streamId, revision, events });
    }
    try {
      const results = await appendAtomically(
        decided.map(({ streamId, revision, events }) => ({
          streamId,
          expectedRevision: revision === null ? 'no_stream' : revision,
          events: events.map((event) => ({
            id: event.id,
            type: event.type,
            data: event.data,
            metadata: storedMetadata(stamped, deps.schemas.currentVersion(event.type), now),
          })),
        })),
      );
      return decided.map(({ events }, i) => ({
        events,
        revision: results[i]!.nextRevision,
        position: events.length > 0 ? results[i]!.position : null,
      }));
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      if (attempt >= MAX_ATTEMPTS)
        throw new ConcurrencyError(commands.map((c) => c.streamId).join(', '), attempt);
      await sleep(Math.random() * Math.min(50, 2 ** attempt));
    }
  }
}
