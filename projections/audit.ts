import {
  AUDIT_ACTORS,
  AUDIT_ENTITIES,
  AUDIT_LOG,
  type AuditActorDoc,
  type AuditEntityDoc,
  type AuditEntryDoc,
  auditKey,
  projectIdOf,
} from '../application/audit/readModel.ts';
import { redact } from '../application/audit/redact.ts';
import { diffStates, entityOfStream, type FieldChange } from '../application/audit/timeTravel.ts';
import { userIdOfStream } from '../application/identity/streams.ts';
import type { RecordedEvent } from '../application/ports/eventStore.ts';
import { upsertAll } from '../application/ports/upsertAll.ts';
import type { Projection, ProjectionView } from './projection.ts';

/**
 * The audit log as a read model: every event, its secrets redacted, with the indexes the audit filters need
 * (each ends in `id`, the position as sortable text, so that a filtered page newest first is one index range
 * rather than a sort of every match);
 * and the people who acted, kept after a rename or a deletion so that an old entry still names them.
 */
/**
 * What an event changed in its entity: the entity's last state (kept redacted in `audit_entities`) folded
 * with the event by the domain's `evolve`, and the fields that differ. Null for a stream that is no entity, or
 * when the fold fails (an entry without its changes beats an audit log that stops). `states` holds the states
 * folded earlier in the same page, written once per entity at the page's end.
 */
async function changesOf(
  event: RecordedEvent,
  view: ProjectionView,
  states: Map<string, unknown>,
): Promise<FieldChange[] | null> {
  const entity = entityOfStream(event.streamId);
  if (!entity) return null;
  let before = states.get(event.streamId);
  if (before === undefined) {
    before =
      (await view.collection<AuditEntityDoc>(AUDIT_ENTITIES).get(event.streamId))?.state ??
      redact(entity.decider.initialState);
  }
  let after: unknown;
  try {
    after = redact(entity.decider.evolve(structuredClone(before), { type: event.type, data: event.data }));
  } catch {
    return null;
  }
  states.set(event.streamId, after);
  return diffStates(before, after);
}

function entryOf(event: RecordedEvent, changes: FieldChange[] | null): AuditEntryDoc {
  const { metadata } = event;
  return {
    id: auditKey(event.position),
    eventId: event.id,
    position: event.position,
    timestamp: metadata.timestamp,
    type: event.type,
    streamId: event.streamId,
    revision: event.revision,
    actorId: metadata.actorId ?? null,
    projectId: projectIdOf(event),
    source: metadata.source,
    correlationId: metadata.correlationId,
    causationId: metadata.causationId ?? null,
    requestId: metadata.requestId ?? null,
    schemaVersion: metadata.schemaVersion,
    data: redact(event.data),
    changes,
  };
}

async function applyToActors(event: RecordedEvent, view: ProjectionView): Promise<void> {
  const userId = userIdOfStream(event.streamId);
  if (!userId) return;
  const actors = view.collection<AuditActorDoc>(AUDIT_ACTORS);
  const data = event.data as { name?: string; email?: string };
  switch (event.type) {
    case 'UserRegistered':
      await actors.upsert({
        id: userId,
        name: data.name ?? '',
        email: data.email ?? '',
        deleted: false,
        deletedAt: null,
      });
      return;
    case 'UserProfileChanged':
      await actors.patch(userId, { $set: { name: data.name } });
      return;
    case 'UserEmailChanged':
      await actors.patch(userId, { $set: { email: data.email } });
      return;
    case 'UserDeleted':
      await actors.patch(userId, { $set: { deleted: true, deletedAt: event.metadata.timestamp } });
      return;
  }
}

export const auditProjection: Projection = {
  name: 'audit',
  version: 3,
  collections: {
    [AUDIT_LOG]: [
      { fields: ['actorId', 'id'] },
      { fields: ['source', 'id'] },
      { fields: ['type', 'id'] },
      { fields: ['streamId', 'id'] },
      { fields: ['projectId', 'id'] },
      { fields: ['projectId', 'timestamp'] },
      { fields: ['timestamp'] },
    ],
    [AUDIT_ACTORS]: [{ fields: ['email'] }],
    [AUDIT_ENTITIES]: [],
  },
  // The seven indexes of the log serve the audit queries; applying reads entities and actors by id only.
  indexesOnlyForQueries: true,
  async apply(event, view) {
    await auditProjection.applyPage!([event], view);
  },
  /**
   * A page's entries are written in one `insertMany` (a statement per hundred rows on SQLite rather than one
   * upsert per event), each entity's state once at the end of the page, the actors as each event comes.
   */
  async applyPage(events, view) {
    const states = new Map<string, unknown>();
    const entries: AuditEntryDoc[] = [];
    for (const event of events) {
      entries.push(entryOf(event, await changesOf(event, view, states)));
      await applyToActors(event, view);
    }
    await upsertAll(view.collection<AuditEntryDoc>(AUDIT_LOG), entries);
    const entities = view.collection<AuditEntityDoc>(AUDIT_ENTITIES);
    for (const [id, state] of states) await entities.upsert({ id, state });
  },
};
