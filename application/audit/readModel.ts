import type { RecordedEvent } from '../ports/eventStore.ts';
import type { Doc, LogTableSpec } from '../ports/readStore.ts';
import type { FieldChange } from './timeTravel.ts';

/**
 * The audit read model (`projections/audit.ts`): an index of every event by what the filters ask (the event
 * itself stays in the event store, redacted when shown); the changes of entity events; and the people who
 * acted, kept after they are renamed or deleted, so that an old entry still says who it was.
 */

/**
 * The audit log's index (ADR 29): a log table with one row per event, holding only what the filters search
 * and sort on, as whole numbers: the event's type, stream, project, acting user and source as numbers from
 * `audit_names` (0: none), and its time in ms. The entry itself is the event, read from the event store by
 * position when a page is shown, and redacted then.
 */
export const AUDIT_LOG = 'audit_log';
export const AUDIT_ACTORS = 'audit_actors';
/** The last folded state of each entity stream (secrets redacted), to tell each event's changes. */
export const AUDIT_ENTITIES = 'audit_entities';
/** The names the log's columns hold as numbers: `{ id: '<kind>:<name>', n }`, and the last number given. */
export const AUDIT_NAMES = 'audit_names';
/** What each event of an entity stream changed, by entry (`id` is `auditKey(position)`); none for others. */
export const AUDIT_CHANGES = 'audit_changes';

export const AUDIT_LOG_SPEC: LogTableSpec = {
  columns: ['type', 'stream', 'project', 'actor', 'source', 'ts'],
  // Each index ends in the position: a filtered page newest first is one index range, not a sort.
  indexes: [['actor'], ['source'], ['type'], ['stream'], ['project'], ['project', 'ts'], ['ts']],
};

/** The kinds of names the log interns, by column. */
export type AuditNameKind = 'type' | 'stream' | 'project' | 'actor' | 'source';

/** An interned name: `id` is `<kind>:<name>`; `n` its number (from 1). */
export interface AuditNameDoc extends Doc {
  n: number;
}

/** The document that holds the last number given (`n`). */
export const AUDIT_NAMES_COUNTER = '#';

export const auditNameId = (kind: AuditNameKind, name: string): string => `${kind}:${name}`;

/** An event's time as the log stores it: ms since the epoch (0 when the metadata holds no valid time). */
export function auditTime(timestamp: string): number {
  const ms = Date.parse(timestamp);
  return Number.isFinite(ms) ? ms : 0;
}

/** An entity's state as the audit projection last folded it (`id` is the stream). */
export interface AuditEntityDoc extends Doc {
  state: unknown;
}

/** The changes of one entry (`id` is `auditKey(position)`). */
export interface AuditChangesDoc extends Doc {
  changes: FieldChange[];
}

/** An entry's key in `audit_changes`: its position as 16 digits. */
export function auditKey(position: number): string {
  return String(position).padStart(16, '0');
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
