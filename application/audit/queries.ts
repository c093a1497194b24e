import { normalizeEmail } from '../../domain/email.ts';
import type { EventSchemaRegistry } from '../commands/eventSchemas.ts';
import { upcastEvent } from '../commands/loadAggregate.ts';
import type { Actor } from '../context.ts';
import { refuse } from '../errors.ts';
import { assertCanUseAdminRoutes } from '../identity/authorization.ts';
import { SIGN_IN_LOCKED_OUT } from '../identity/signIns.ts';
import type { EventStore, RecordedEvent } from '../ports/eventStore.ts';
import type { LogRow, LogTable, PositionRange, ReadStore } from '../ports/readStore.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { findManageableProject } from '../projects/queries.ts';
import {
  AUDIT_ACTORS,
  AUDIT_CHANGES,
  AUDIT_LOG,
  AUDIT_LOG_SPEC,
  AUDIT_NAMES,
  type AuditActorDoc,
  type AuditChangesDoc,
  type AuditNameDoc,
  type AuditNameKind,
  auditKey,
  auditNameId,
  auditTime,
  projectIdOf,
} from './readModel.ts';
import { redact } from './redact.ts';
import type { FieldChange } from './timeTravel.ts';

/**
 * Reading the audit log: filters over the audit read model's index (ADR 29), each entry then read from the
 * event store by position and redacted, newest first, a page at a
 * time in both directions, with each actor resolved to a name. Global admins read everything; a project's
 * owner reads that project's events (members 403, anyone else 404, as for the project's settings).
 */

export const AUDIT_PAGE_MAX = 500;

export interface AuditFilters {
  /**
   * A user id or email, or what acted without a user: `cli`, `system`, `api-key` (a project's API key),
   * `worker:<id>`.
   */
  actor?: string;
  types?: readonly string[];
  stream?: string;
  projectId?: string;
  /** ISO 8601 times, inclusive. */
  since?: string;
  until?: string;
  /** `$all` positions, inclusive. */
  fromPosition?: number;
  toPosition?: number;
}

export type AuditActor =
  | {
      kind: 'user';
      id: string;
      /** As the user is named now, or was named when deleted. */
      name: string;
      email: string | null;
      deleted: boolean;
      /** A readable line: `Ann (ann@example.com)`, `Ann (ann@example.com, deleted)`. */
      display: string;
    }
  | { kind: 'anonymous' | 'api_key' | 'cli' | 'system' | 'worker'; id: string | null; display: string };

export interface AuditEntry {
  position: number;
  time: string;
  type: string;
  stream: string;
  revision: number;
  eventId: string;
  projectId: string | null;
  actor: AuditActor;
  /** `api`, `cli`, `worker:<id>`, `system`. */
  source: string;
  correlationId: string;
  causationId: string | null;
  /** The id of the HTTP request that caused the event, as the server's log names it; null for no request. */
  requestId: string | null;
  /** The event's data, every secret as `"[redacted]"`. */
  data: unknown;
  /**
   * For an event of an entity (user, project, goal, worker, environment, modules…): the entity's fields it
   * changed, before and after, secrets redacted; null for other events.
   */
  changes: FieldChange[] | null;
}

export interface AuditPage {
  items: AuditEntry[];
  /** Older entries: pass as `cursor`. Null when this page holds the oldest match. */
  nextCursor: string | null;
  /** Newer entries: pass as `cursor`. Null when this page holds the newest match (or is empty). */
  prevCursor: string | null;
}

export interface AuditDeps extends ProjectDeps {}

/** Where a page starts: strictly older than a position, or strictly newer. */
type Cursor = { before: number } | { after: number };

const invalidCursor = () =>
  refuse('invalid_cursor', 'The cursor is not one m3m handed out: pass nextCursor or prevCursor as it is.');

export function encodeAuditCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const v = value as { before?: unknown; after?: unknown } | null;
  const position = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (v && typeof v === 'object' && Object.keys(v).length === 1) {
    if (position(v.before)) return { before: v.before as number };
    if (position(v.after)) return { after: v.after as number };
  }
  throw invalidCursor();
}

/** Who reads the audit log: its index in the read store, the events themselves in the event store. */
export interface AuditReadDeps {
  readStore: ReadStore;
  eventStore: EventStore;
  schemas: EventSchemaRegistry;
}

/**
 * The filters as conditions on the log table's numbers (ADR 29): `where` on its columns, `types` (several,
 * each asked on its own and merged), `position` bounds. `null` when nothing can match (a name never seen).
 */
export interface AuditLogFilter {
  where: Record<string, number | { $gte?: number; $lte?: number }>;
  types?: number[];
  position: PositionRange;
}

/** The number the log holds for a name, or null when no event ever carried it. */
async function nameNumber(readStore: ReadStore, kind: AuditNameKind, name: string): Promise<number | null> {
  return (await readStore.collection<AuditNameDoc>(AUDIT_NAMES).get(auditNameId(kind, name)))?.n ?? null;
}

/** The actor filter as conditions on the log, or `null` when it can match nothing (an unknown email). */
async function actorFilter(readStore: ReadStore, actor: string): Promise<AuditLogFilter['where'] | null> {
  const given = actor.trim();
  const bySource = async (source: string, where: AuditLogFilter['where'] = {}) => {
    const n = await nameNumber(readStore, 'source', source);
    return n === null ? null : { ...where, source: n };
  };
  if (given === 'cli' || given === 'system') return bySource(given, { actor: 0 });
  if (given === 'api-key') return bySource('api', { actor: 0 });
  if (given.startsWith('worker:')) return bySource(given);
  let userId = given;
  if (given.includes('@')) {
    const doc = await readStore
      .collection<AuditActorDoc>(AUDIT_ACTORS)
      .findOne({ email: normalizeEmail(given) });
    if (!doc) return null;
    userId = doc.id;
  }
  const n = await nameNumber(readStore, 'actor', userId);
  return n === null ? null : { actor: n };
}

/** The filters as conditions on the log table; `null` when nothing can match. */
export async function auditFilter(
  readStore: ReadStore,
  filters: AuditFilters,
): Promise<AuditLogFilter | null> {
  const filter: AuditLogFilter = { where: {}, position: {} };
  if (filters.actor !== undefined) {
    const byActor = await actorFilter(readStore, filters.actor);
    if (!byActor) return null;
    Object.assign(filter.where, byActor);
  }
  const types = [...new Set(filters.types ?? [])];
  if (types.length) {
    const numbers = (await Promise.all(types.map((type) => nameNumber(readStore, 'type', type)))).filter(
      (n): n is number => n !== null,
    );
    if (numbers.length === 0) return null;
    if (numbers.length === 1) filter.where.type = numbers[0]!;
    else filter.types = numbers;
  }
  for (const [kind, name] of [
    ['stream', filters.stream],
    ['project', filters.projectId],
  ] as const) {
    if (name === undefined) continue;
    const n = await nameNumber(readStore, kind, name);
    if (n === null) return null;
    filter.where[kind] = n;
  }
  if (filters.since !== undefined || filters.until !== undefined) {
    filter.where.ts = {
      ...(filters.since !== undefined ? { $gte: auditTime(filters.since) } : {}),
      ...(filters.until !== undefined ? { $lte: auditTime(filters.until) } : {}),
    };
  }
  if (filters.fromPosition !== undefined) filter.position.$gte = filters.fromPosition;
  if (filters.toPosition !== undefined) filter.position.$lte = filters.toPosition;
  return filter;
}

/** `filter` narrowed to positions strictly below or above one (kept with the range filter's own bounds). */
function narrowed(filter: AuditLogFilter, bound: { $lt: number } | { $gt: number }): AuditLogFilter {
  return { ...filter, position: { ...filter.position, ...bound } };
}

/**
 * Rows matching `filter` in position order (`direction`), at most `limit`. Several types are asked one type
 * at a time, each an index range already in position order, and merged: as one `type IN (…)`, SQLite would
 * sort every match of every type to return the first page.
 */
async function findByPosition(
  log: LogTable,
  filter: AuditLogFilter,
  direction: 1 | -1,
  limit: number,
): Promise<LogRow[]> {
  const query = (where: AuditLogFilter['where']) =>
    log.find({ where, position: filter.position, order: direction, limit });
  if (!filter.types) return query(filter.where);
  const parts = await Promise.all(filter.types.map((type) => query({ ...filter.where, type })));
  return parts
    .flat()
    .sort((a, b) => (a.position - b.position) * direction)
    .slice(0, limit);
}

const anyMatch = async (log: LogTable, filter: AuditLogFilter) =>
  (await findByPosition(log, filter, 1, 1)).length > 0;

const auditLog = (readStore: ReadStore) => readStore.logTable(AUDIT_LOG, AUDIT_LOG_SPEC);

/**
 * The entries of these log rows, in their order: each event read from the event store by position (upcast,
 * its data redacted), its changes, its actor resolved to a name (one lookup each per page).
 */
export async function presentEntries(deps: AuditReadDeps, rows: readonly LogRow[]): Promise<AuditEntry[]> {
  if (rows.length === 0) return [];
  const { readStore } = deps;
  const positions = rows.map((row) => row.position);
  const events = new Map<number, RecordedEvent>();
  for (const event of await deps.eventStore.readPositions(positions)) {
    events.set(event.position, upcastEvent(deps.schemas, event));
  }
  const keys = positions.filter((p) => events.has(p)).map(auditKey);
  const changes = new Map<string, FieldChange[]>();
  for (const doc of (
    await readStore
      .collection<AuditChangesDoc>(AUDIT_CHANGES)
      .find({ id: { $in: keys } }, { limit: keys.length || 1 })
  ).items) {
    changes.set(doc.id, doc.changes);
  }
  const found = positions.flatMap((p) => events.get(p) ?? []);
  const ids = [...new Set(found.flatMap((e) => (e.metadata.actorId ? [e.metadata.actorId] : [])))];
  const people = new Map<string, AuditActorDoc>();
  if (ids.length > 0) {
    const page = await readStore
      .collection<AuditActorDoc>(AUDIT_ACTORS)
      .find({ id: { $in: ids } }, { limit: ids.length });
    for (const person of page.items) people.set(person.id, person);
  }
  return found.map((event) => {
    const { metadata } = event;
    const projectId = projectIdOf(event);
    return {
      position: event.position,
      time: metadata.timestamp,
      type: event.type,
      stream: event.streamId,
      revision: event.revision,
      eventId: event.id,
      projectId,
      actor: resolveActor(event, projectId, people),
      source: metadata.source,
      correlationId: metadata.correlationId,
      causationId: metadata.causationId ?? null,
      requestId: metadata.requestId ?? null,
      data: redact(event.data),
      changes: changes.get(auditKey(event.position)) ?? null,
    };
  });
}

function resolveActor(
  event: RecordedEvent,
  projectId: string | null,
  people: ReadonlyMap<string, AuditActorDoc>,
): AuditActor {
  const { actorId, source } = event.metadata;
  if (actorId) {
    const person = people.get(actorId);
    if (!person) {
      return {
        kind: 'user',
        id: actorId,
        name: actorId,
        email: null,
        deleted: false,
        display: `user ${actorId}`,
      };
    }
    const suffix = person.deleted ? ', deleted' : '';
    return {
      kind: 'user',
      id: person.id,
      name: person.name,
      email: person.email,
      deleted: person.deleted,
      display: `${person.name} (${person.email}${suffix})`,
    };
  }
  // A lock-out is recorded because nobody managed to sign in: the address is in the data.
  if (event.type === SIGN_IN_LOCKED_OUT)
    return { kind: 'anonymous', id: null, display: 'someone not signed in' };
  if (source === 'cli') return { kind: 'cli', id: null, display: 'the CLI' };
  if (source.startsWith('worker:')) {
    const id = source.slice('worker:'.length);
    return { kind: 'worker', id, display: `worker ${id}` };
  }
  if (source === 'api') return { kind: 'api_key', id: projectId, display: "the project's API key" };
  return { kind: 'system', id: null, display: 'm3m' };
}

/** One page of entries matching `filters`, newest first. */
export async function auditPage(
  deps: AuditReadDeps,
  filters: AuditFilters,
  page: { cursor?: string; limit: number },
): Promise<AuditPage> {
  const cursor = page.cursor === undefined ? null : decodeCursor(page.cursor);
  const filter = await auditFilter(deps.readStore, filters);
  if (!filter) return { items: [], nextCursor: null, prevCursor: null };
  const log = auditLog(deps.readStore);
  const limit = Math.min(Math.max(1, page.limit), AUDIT_PAGE_MAX);
  // One entry more than the page tells whether there are more in the direction read; the other direction needs
  // a probe only after a cursor (the first page starts at the newest entry).
  let rows: LogRow[];
  let olderExists: boolean;
  let newerExists: boolean;
  if (cursor && 'after' in cursor) {
    // Newer than the cursor: the oldest `limit` of them, shown newest first like every page.
    const found = await findByPosition(log, narrowed(filter, { $gt: cursor.after }), 1, limit + 1);
    newerExists = found.length > limit;
    rows = found.slice(0, limit).reverse();
    const oldest = rows.at(-1);
    olderExists = oldest !== undefined && (await anyMatch(log, narrowed(filter, { $lt: oldest.position })));
  } else {
    const scoped = cursor ? narrowed(filter, { $lt: cursor.before }) : filter;
    const found = await findByPosition(log, scoped, -1, limit + 1);
    olderExists = found.length > limit;
    rows = found.slice(0, limit);
    const newest = rows[0];
    newerExists =
      cursor !== null &&
      newest !== undefined &&
      (await anyMatch(log, narrowed(filter, { $gt: newest.position })));
  }
  const newest = rows[0];
  const oldest = rows.at(-1);
  return {
    items: await presentEntries(deps, rows),
    nextCursor: olderExists && oldest ? encodeAuditCursor({ before: oldest.position }) : null,
    prevCursor: newerExists && newest ? encodeAuditCursor({ after: newest.position }) : null,
  };
}

/** Every entry matching `filters`, newest first, a page of `AUDIT_PAGE_MAX` at a time: for exports. */
export async function* auditEntries(deps: AuditReadDeps, filters: AuditFilters): AsyncGenerator<AuditEntry> {
  const filter = await auditFilter(deps.readStore, filters);
  if (!filter) return;
  const log = auditLog(deps.readStore);
  let before: number | null = null;
  for (;;) {
    const scoped = before !== null ? narrowed(filter, { $lt: before }) : filter;
    const rows = await findByPosition(log, scoped, -1, AUDIT_PAGE_MAX);
    if (rows.length === 0) return;
    yield* await presentEntries(deps, rows);
    if (rows.length < AUDIT_PAGE_MAX) return;
    before = rows.at(-1)!.position;
  }
}

/** The whole log, filtered: global admins only. */
export function assertCanReadAudit(actor: Actor): void {
  assertCanUseAdminRoutes(actor);
}

/** A project's part of the log: its owner and global admins (members 403, others 404). Fixes the project filter. */
export async function projectAuditFilters(
  deps: AuditDeps,
  actor: Actor,
  projectId: string,
  filters: AuditFilters,
): Promise<AuditFilters> {
  await findManageableProject(deps, actor, projectId);
  return { ...filters, projectId };
}
