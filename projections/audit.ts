import {
  AUDIT_ACTORS,
  AUDIT_CHANGES,
  AUDIT_ENTITIES,
  AUDIT_LOG,
  AUDIT_LOG_SPEC,
  AUDIT_NAMES,
  AUDIT_NAMES_COUNTER,
  type AuditActorDoc,
  type AuditChangesDoc,
  type AuditEntityDoc,
  type AuditNameDoc,
  type AuditNameKind,
  auditKey,
  auditNameId,
  auditTime,
  projectIdOf,
} from '../application/audit/readModel.ts';
import { redact } from '../application/audit/redact.ts';
import { diffStates, entityOfStream, type FieldChange } from '../application/audit/timeTravel.ts';
import { userIdOfStream } from '../application/identity/streams.ts';
import type { RecordedEvent } from '../application/ports/eventStore.ts';
import type { Collection, LogRow } from '../application/ports/readStore.ts';
import { upsertAll } from '../application/ports/upsertAll.ts';
import type { Projection, ProjectionView } from './projection.ts';

/**
 * The audit log as a read model (ADR 29): for every event a row of whole numbers in the `audit_log` log table
 * (type, stream, project, acting user and source as numbers from `audit_names`, the time in ms), with the
 * indexes the audit filters need, each ending in the position; the event itself is read from the event store
 * when an entry is shown. Beside it, what each event of an entity changed, and the people who acted, kept
 * after a rename or a deletion so that an old entry still names them.
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

/** Ids asked per query when looking names up (well under every engine's limit on bound values). */
const NAMES_PER_QUERY = 500;
/** Up to this many names, each is read by its key. */
const FEW_NAMES = 12;

/**
 * The numbers of a page's names: the known ones in one query per few hundred, new ones numbered after the
 * last number given, in the page's transaction (nothing is cached across pages: a transaction rolled back
 * would leave numbers behind that the store never kept).
 */
async function internNames(
  names: Collection<AuditNameDoc>,
  ids: ReadonlySet<string>,
): Promise<Map<string, number>> {
  const numbers = new Map<string, number>();
  const all = [...ids];
  if (all.length <= FEW_NAMES) {
    // Live, a page is an event or two: a read by key each is cheaper than one query over several keys.
    for (const id of all) {
      const doc = await names.get(id);
      if (doc) numbers.set(id, doc.n);
    }
  } else {
    for (let i = 0; i < all.length; i += NAMES_PER_QUERY) {
      const part = all.slice(i, i + NAMES_PER_QUERY);
      const found = await names.find({ id: { $in: part } }, { limit: part.length });
      for (const doc of found.items) numbers.set(doc.id, doc.n);
    }
  }
  const missing = all.filter((id) => !numbers.has(id));
  if (missing.length === 0) return numbers;
  let last = (await names.get(AUDIT_NAMES_COUNTER))?.n ?? 0;
  const added: AuditNameDoc[] = [];
  for (const id of missing) {
    last += 1;
    numbers.set(id, last);
    added.push({ id, n: last });
  }
  added.push({ id: AUDIT_NAMES_COUNTER, n: last });
  await upsertAll(names, added);
  return numbers;
}

const KINDS: readonly AuditNameKind[] = ['type', 'stream', 'project', 'actor', 'source'];

/** The names of an event the log holds as numbers, in the order of `KINDS` (null: none, stored as 0). */
function namesOf(event: RecordedEvent): (string | null)[] {
  return [
    event.type,
    event.streamId,
    projectIdOf(event),
    event.metadata.actorId ?? null,
    event.metadata.source,
  ];
}

export const auditProjection: Projection = {
  name: 'audit',
  // 4: the log is a log table of numbers (ADR 29), no longer a JSON copy of every event.
  version: 4,
  collections: {
    [AUDIT_ACTORS]: [{ fields: ['email'] }],
    [AUDIT_ENTITIES]: [],
    [AUDIT_NAMES]: [],
    [AUDIT_CHANGES]: [],
  },
  logTables: { [AUDIT_LOG]: AUDIT_LOG_SPEC },
  // The log's seven indexes serve the audit queries; applying reads names, entities and actors by id only.
  indexesOnlyForQueries: true,
  async apply(event, view) {
    await auditProjection.applyPage!([event], view);
  },
  /**
   * A page's rows are written in one `append` (a statement per few hundred rows on SQLite), its names looked
   * up together, each entity's state once at the end of the page, the actors as each event comes.
   */
  async applyPage(events, view) {
    const states = new Map<string, unknown>();
    const changes: AuditChangesDoc[] = [];
    // Per kind, the page's names (a page of increments holds a handful): looked up once each.
    const pageNames = KINDS.map(() => new Map<string, number>());
    const named = events.map((event) => {
      const names = namesOf(event);
      for (let k = 0; k < KINDS.length; k++) {
        const name = names[k];
        if (name !== null && name !== undefined) pageNames[k]!.set(name, 0);
      }
      return names;
    });
    for (const event of events) {
      const changed = await changesOf(event, view, states);
      if (changed) changes.push({ id: auditKey(event.position), changes: changed });
      await applyToActors(event, view);
    }
    const ids = new Set<string>();
    KINDS.forEach((kind, k) => {
      for (const name of pageNames[k]!.keys()) ids.add(auditNameId(kind, name));
    });
    const numbers = await internNames(view.collection<AuditNameDoc>(AUDIT_NAMES), ids);
    KINDS.forEach((kind, k) => {
      const names = pageNames[k]!;
      for (const name of names.keys()) names.set(name, numbers.get(auditNameId(kind, name))!);
    });
    const number = (k: number, name: string | null | undefined) =>
      name === null || name === undefined ? 0 : pageNames[k]!.get(name)!;
    const rows: LogRow[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const names = named[i]!;
      rows[i] = {
        position: event.position,
        type: number(0, names[0]),
        stream: number(1, names[1]),
        project: number(2, names[2]),
        actor: number(3, names[3]),
        source: number(4, names[4]),
        ts: auditTime(event.metadata.timestamp),
      };
    }
    await view.logTable(AUDIT_LOG).append(rows);
    if (changes.length > 0) await upsertAll(view.collection<AuditChangesDoc>(AUDIT_CHANGES), changes);
    const entities = view.collection<AuditEntityDoc>(AUDIT_ENTITIES);
    for (const [id, state] of states) await entities.upsert({ id, state });
  },
};
