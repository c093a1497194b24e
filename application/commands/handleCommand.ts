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
