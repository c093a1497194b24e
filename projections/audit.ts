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
 * when the fold fails (an entry without its changes beats an audit log that stops).
 */
async function changesOf(event: RecordedEvent, view: ProjectionView): Promise<FieldChange[] | null> {
  const entity = entityOfStream(event.streamId);
  if (!entity) return null;
  const states = view.collection<AuditEntityDoc>(AUDIT_ENTITIES);
  const before = (await states.get(event.streamId))?.state ?? redact(entity.decider.initialState);
  let after: unknown;
  try {
    after = redact(entity.decider.evolve(structuredClone(before), { type: event.type, data: event.data }));
  } catch {
    return null;
  }
  await states.upsert({ id: event.streamId, state: after });
  return diffStates(before, after);
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
  async apply(event, view) {
    const { metadata } = event;
    await view.collection<AuditEntryDoc>(AUDIT_LOG).upsert({
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
      changes: await changesOf(event, view),
    });
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
        await actors.patch(userId, { $set: { deleted: true, deletedAt: metadata.timestamp } });
        return;
    }
  },
};
