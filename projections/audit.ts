import {
  AUDIT_ACTORS,
  AUDIT_LOG,
  type AuditActorDoc,
  type AuditEntryDoc,
  auditKey,
  projectIdOf,
} from '../application/audit/readModel.ts';
import { redact } from '../application/audit/redact.ts';
import { userIdOfStream } from '../application/identity/streams.ts';
import type { Projection } from './projection.ts';

/**
 * The audit log as a read model: every event, its secrets redacted, with the indexes the audit filters need
 * (each ends in `id`, the position as sortable text, so that a filtered page newest first is one index range
 * rather than a sort of every match);
 * and the people who acted, kept after a rename or a deletion so that an old entry still names them.
 */
export const auditProjection: Projection = {
  name: 'audit',
  version: 2,
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
