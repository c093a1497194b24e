import type { Decider, DomainEvent } from '../../domain/decider.ts';
import type { EventStore, RecordedEvent } from '../ports/eventStore.ts';
import type { EventSchemaRegistry } from './eventSchemas.ts';

const PAGE = 1000;

export interface LoadedAggregate<State> {
  state: State;
  /** Revision of the stream's last event, `null` when the stream does not exist. */
  revision: number | null;
}

/** Turns a stored event into the current shape of its type. */
export function upcastEvent(schemas: EventSchemaRegistry, event: RecordedEvent): RecordedEvent {
  const data = schemas.upcast(event.type, event.metadata.schemaVersion ?? 1, event.data);
  if (data === event.data) return event;
  return {
    ...event,
    data,
    metadata: { ...event.metadata, schemaVersion: schemas.currentVersion(event.type) },
  };
}

export async function loadAggregate<Command, State, Event extends DomainEvent>(
  store: EventStore,
  schemas: EventSchemaRegistry,
  streamId: string,
  decider: Decider<Command, State, Event>,
): Promise<LoadedAggregate<State>> {
  let state = decider.initialState;
  let revision: number | null = null;
  for (;;) {
    const page = await store.readStream(streamId, {
      fromRevision: revision === null ? 0 : revision + 1,
      limit: PAGE,
    });
    for (const recorded of page) {
      const event = upcastEvent(schemas, recorded);
      state = decider.evolve(state, { type: event.type, data: event.data } as Event);
      revision = recorded.revision;
    }
    if (page.length < PAGE) return { state, revision };
  }
}
