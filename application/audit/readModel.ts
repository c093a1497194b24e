import type { RecordedEvent } from '../ports/eventStore.ts';
import type { Doc } from '../ports/readStore.ts';
import type { FieldChange } from './timeTravel.ts';

/**
 * The audit read model (`projections/audit.ts`): one entry per event, with its secrets already redacted, so
 * that audit queries never read the event log; and the people who acted, kept after they are renamed or
 * deleted, so that an old entry still says who it was.
 */

export const AUDIT_LOG = 'audit_log';
export const AUDIT_ACTORS = 'audit_actors';
/** The last folded state of each entity stream (secrets redacted), to tell each event's changes. */
export const AUDIT_ENTITIES = 'audit_entities';

/** An entity's state as the audit projection last folded it (`id` is the stream). */
export interface AuditEntityDoc extends Doc {
  state: unknown;
}

/**
 * An entry's `id`: its position as 16 digits, so that text order is position order. Sorting on `id` alone lets
 * every index end in it (the read store breaks ties on `id`, so any other sort would also sort by it).
 */
export function auditKey(position: number): string {
  return String(position).padStart(16, '0');
}

export interface AuditEntryDoc extends Doc {
  /** The event's own id (`id` is `auditKey(position)`: a store may hold an event id twice). */
  eventId: string;
  position: number;
  timestamp: string;
  type: string;
  streamId: string;
  revision: number;
  /** The user who acted, or null (a project API key, the CLI, the system, a worker: see `source`). */
  actorId: string | null;
  /** The project the event belongs to, when it belongs to one. */
  projectId: string | null;
  source: string;
  correlationId: string;
  causationId: string | null;
  /** The HTTP request's id in the server's log, when a request caused the event. */
  requestId?: string | null;
  schemaVersion: number;
  /** The event's data with every secret as `"[redacted]"` (application/audit/redact.ts). */
  data: unknown;
  /**
   * For an event of an entity's stream (user, project, goal, worker…): the fields of the entity it changed,
   * before and after, folded by the domain's `evolve`, secrets redacted. Null for other events.
   */
  changes?: FieldChange[] | null;
}

/** A user as the audit log remembers them: their last name and email, and whether they were deleted. */
export interface AuditActorDoc extends Doc {
  name: string;
  email: string;
  deleted: boolean;
  deletedAt: string | null;
}

/**
 * Streams of a project's own (named by its id) whose events do not all carry `projectId` in their data. Every
 * other event of a project (its goals, workers, modules, a user granted it) names the project in its data. A
 * slug reservation (`project-slug-…`) is not a project's stream: the id must be a whole UUID.
 */
const PROJECT_STREAM =
  /^(?:project-events|project-modules|environment|data-models|project)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The project an event belongs to, or null (a user's event, a global goal's). */
export function projectIdOf(event: Pick<RecordedEvent, 'streamId' | 'data'>): string | null {
  const data = event.data as { projectId?: unknown } | null;
  if (data && typeof data === 'object' && typeof data.projectId === 'string') return data.projectId;
  return PROJECT_STREAM.exec(event.streamId)?.[1] ?? null;
}
