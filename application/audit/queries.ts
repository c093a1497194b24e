import { normalizeEmail } from '../../domain/email.ts';
import type { Actor } from '../context.ts';
import { refuse } from '../errors.ts';
import { assertCanUseAdminRoutes } from '../identity/authorization.ts';
import { SIGN_IN_LOCKED_OUT } from '../identity/signIns.ts';
import type { Collection, Filter, ReadStore } from '../ports/readStore.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { findManageableProject } from '../projects/queries.ts';
import { AUDIT_ACTORS, AUDIT_LOG, type AuditActorDoc, type AuditEntryDoc, auditKey } from './readModel.ts';
import type { FieldChange } from './timeTravel.ts';

/**
 * Reading the audit log: filters over the audit read model (never the event log), newest first, a page at a
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

/** The actor filter as conditions on the entries, or `null` when it can match nothing (an unknown email). */
async function actorFilter(readStore: ReadStore, actor: string): Promise<Filter | null> {
  const given = actor.trim();
  if (given === 'cli' || given === 'system') return { actorId: null, source: given };
  if (given === 'api-key') return { actorId: null, source: 'api' };
  if (given.startsWith('worker:')) return { source: given };
  if (given.includes('@')) {
    const doc = await readStore
      .collection<AuditActorDoc>(AUDIT_ACTORS)
      .findOne({ email: normalizeEmail(given) });
    return doc ? { actorId: doc.id } : null;
  }
  return { actorId: given };
}

/** The filters as one read-store filter; `null` when nothing can match. */
export async function auditFilter(readStore: ReadStore, filters: AuditFilters): Promise<Filter | null> {
  const filter: Filter = {};
  if (filters.actor !== undefined) {
    const byActor = await actorFilter(readStore, filters.actor);
    if (!byActor) return null;
    Object.assign(filter, byActor);
  }
  const types = [...new Set(filters.types ?? [])];
  if (types.length) filter.type = types.length === 1 ? types[0]! : { $in: types };
  if (filters.stream !== undefined) filter.streamId = filters.stream;
  if (filters.projectId !== undefined) filter.projectId = filters.projectId;
  if (filters.since !== undefined || filters.until !== undefined) {
    filter.timestamp = {
      ...(filters.since !== undefined ? { $gte: filters.since } : {}),
      ...(filters.until !== undefined ? { $lte: filters.until } : {}),
    };
  }
  if (filters.fromPosition !== undefined || filters.toPosition !== undefined) {
    filter.id = {
      ...(filters.fromPosition !== undefined ? { $gte: auditKey(filters.fromPosition) } : {}),
      ...(filters.toPosition !== undefined ? { $lte: auditKey(filters.toPosition) } : {}),
    };
  }
  return filter;
}

/** `filter` narrowed to ids strictly below or above a position (kept with the range filter's own bounds). */
function narrowed(filter: Filter, bound: { $lt: string } | { $gt: string }): Filter {
  const range = (filter.id ?? {}) as Record<string, string>;
  return { ...filter, id: { ...range, ...bound } };
}

type AuditLog = Collection<AuditEntryDoc>;

/**
 * Entries matching `filter` in position order (`direction`), at most `limit`. Several types are asked one type
 * at a time, each an index range already in position order, and merged: as one `type IN (…)`, SQLite would
 * sort every match of every type to return the first page.
 */
async function findByPosition(
  log: AuditLog,
  filter: Filter,
  direction: 1 | -1,
  limit: number,
): Promise<AuditEntryDoc[]> {
  const types = (filter.type as { $in?: string[] } | undefined)?.$in;
  if (!types) return (await log.find(filter, { sort: { id: direction }, limit })).items;
  const parts = await Promise.all(
    types.map((type) => log.find({ ...filter, type }, { sort: { id: direction }, limit })),
  );
  return parts
    .flatMap((part) => part.items)
    .sort((a, b) => (a.id < b.id ? -direction : a.id > b.id ? direction : 0))
    .slice(0, limit);
}

const anyMatch = async (log: AuditLog, filter: Filter) =>
  (await findByPosition(log, filter, 1, 1)).length > 0;

/** Turns entries into what the API shows: actors resolved to names (one lookup per page). */
export async function presentEntries(
  readStore: ReadStore,
  docs: readonly AuditEntryDoc[],
): Promise<AuditEntry[]> {
  const ids = [...new Set(docs.flatMap((d) => (d.actorId ? [d.actorId] : [])))];
  const people = new Map<string, AuditActorDoc>();
  if (ids.length > 0) {
    const page = await readStore
      .collection<AuditActorDoc>(AUDIT_ACTORS)
      .find({ id: { $in: ids } }, { limit: ids.length });
    for (const person of page.items) people.set(person.id, person);
  }
  return docs.map((doc) => ({
    position: doc.position,
    time: doc.timestamp,
    type: doc.type,
    stream: doc.streamId,
    revision: doc.revision,
    eventId: doc.eventId,
    projectId: doc.projectId,
    actor: resolveActor(doc, people),
    source: doc.source,
    correlationId: doc.correlationId,
    causationId: doc.causationId,
    requestId: doc.requestId ?? null,
    data: doc.data,
    changes: doc.changes ?? null,
  }));
}

function resolveActor(doc: AuditEntryDoc, people: ReadonlyMap<string, AuditActorDoc>): AuditActor {
  if (doc.actorId) {
    const person = people.get(doc.actorId);
    if (!person) {
      return {
        kind: 'user',
        id: doc.actorId,
        name: doc.actorId,
        email: null,
        deleted: false,
        display: `user ${doc.actorId}`,
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
  if (doc.type === SIGN_IN_LOCKED_OUT)
    return { kind: 'anonymous', id: null, display: 'someone not signed in' };
  if (doc.source === 'cli') return { kind: 'cli', id: null, display: 'the CLI' };
  if (doc.source.startsWith('worker:')) {
    const id = doc.source.slice('worker:'.length);
    return { kind: 'worker', id, display: `worker ${id}` };
  }
  if (doc.source === 'api') return { kind: 'api_key', id: doc.projectId, display: "the project's API key" };
  return { kind: 'system', id: null, display: 'm3m' };
}

/** One page of entries matching `filters`, newest first. */
export async function auditPage(
  readStore: ReadStore,
  filters: AuditFilters,
  page: { cursor?: string; limit: number },
): Promise<AuditPage> {
  const cursor = page.cursor === undefined ? null : decodeCursor(page.cursor);
  const filter = await auditFilter(readStore, filters);
  if (!filter) return { items: [], nextCursor: null, prevCursor: null };
  const log = readStore.collection<AuditEntryDoc>(AUDIT_LOG);
  const limit = Math.min(Math.max(1, page.limit), AUDIT_PAGE_MAX);
  // One entry more than the page tells whether there are more in the direction read; the other direction needs
  // a probe only after a cursor (the first page starts at the newest entry).
  let docs: AuditEntryDoc[];
  let olderExists: boolean;
  let newerExists: boolean;
  if (cursor && 'after' in cursor) {
    // Newer than the cursor: the oldest `limit` of them, shown newest first like every page.
    const found = await findByPosition(log, narrowed(filter, { $gt: auditKey(cursor.after) }), 1, limit + 1);
    newerExists = found.length > limit;
    docs = found.slice(0, limit).reverse();
    const oldest = docs.at(-1);
    olderExists = oldest !== undefined && (await anyMatch(log, narrowed(filter, { $lt: oldest.id })));
  } else {
    const scoped = cursor ? narrowed(filter, { $lt: auditKey(cursor.before) }) : filter;
    const found = await findByPosition(log, scoped, -1, limit + 1);
    olderExists = found.length > limit;
    docs = found.slice(0, limit);
    const newest = docs[0];
    newerExists =
      cursor !== null && newest !== undefined && (await anyMatch(log, narrowed(filter, { $gt: newest.id })));
  }
  const newest = docs[0];
  const oldest = docs.at(-1);
  return {
    items: await presentEntries(readStore, docs),
    nextCursor: olderExists && oldest ? encodeAuditCursor({ before: oldest.position }) : null,
    prevCursor: newerExists && newest ? encodeAuditCursor({ after: newest.position }) : null,
  };
}

/** Every entry matching `filters`, newest first, a page of `AUDIT_PAGE_MAX` at a time: for exports. */
export async function* auditEntries(readStore: ReadStore, filters: AuditFilters): AsyncGenerator<AuditEntry> {
  const filter = await auditFilter(readStore, filters);
  if (!filter) return;
  const log = readStore.collection<AuditEntryDoc>(AUDIT_LOG);
  let before: string | null = null;
  for (;;) {
    const scoped = before ? narrowed(filter, { $lt: before }) : filter;
    const items = await findByPosition(log, scoped, -1, AUDIT_PAGE_MAX);
    if (items.length === 0) return;
    yield* await presentEntries(readStore, items);
    if (items.length < AUDIT_PAGE_MAX) return;
    before = items.at(-1)!.id;
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
