import type { Db, Document, IndexDescription } from 'mongodb';
import type { IndexSpec } from '../../application/ports/readStore.ts';
import { pathSegments } from './documentRules.ts';
import { isNamespaceNotFound, mongoField } from './mongoErrors.ts';

export interface IndexLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Every BSON type but null (and the undefined/minKey/maxKey oddities): a unique index covers a document only
 * where all its fields hold one of these, so that missing and explicit `null` values never collide — as in
 * SQLite, where NULLs are distinct. (`$exists: true` would still index an explicit `null`.)
 */
const NON_NULL_TYPES = [
  'number',
  'string',
  'object',
  'array',
  'bool',
  'date',
  'binData',
  'objectId',
  'timestamp',
  'regex',
];

export function describeIndex(index: IndexSpec): IndexDescription {
  if (index.fields.length === 0) throw new Error('An index needs at least one field');
  for (const field of index.fields) pathSegments(field);
  const key = new Map(index.fields.map((field) => [mongoField(field), 1 as const]));
  if (!index.unique) return { key };
  const present = index.fields.filter((f) => f !== 'id').map((f) => [f, { $type: NON_NULL_TYPES }] as const);
  return present.length
    ? { key, unique: true, partialFilterExpression: Object.fromEntries(present) }
    : { key, unique: true };
}

/**
 * Creates the indexes that are missing. An index on the same key with other options (uniqueness, or the
 * partial filter of an older m3m) cannot be changed in place and would make `createIndexes` fail at every
 * start: it is dropped and created anew, with a log line.
 */
export async function ensureMongoIndexes(
  db: Db,
  collection: string,
  indexes: readonly IndexSpec[],
  logger: IndexLogger,
): Promise<IndexDescription[]> {
  const wanted = indexes
    .filter((ix) => !(ix.fields.length === 1 && ix.fields[0] === 'id'))
    .map(describeIndex);
  if (wanted.length === 0) return [];
  let existing: Document[] = [];
  try {
    existing = await db.collection(collection).listIndexes().toArray();
  } catch (error) {
    if (!isNamespaceNotFound(error)) throw error;
  }
  const missing: IndexDescription[] = [];
  for (const index of wanted) {
    // Key order matters (a compound index on a, b is not one on b, a): compared as written.
    const key = JSON.stringify([...(index.key as Map<string, 1>)]);
    const sameKey = existing.filter((e) => JSON.stringify(Object.entries(e.key as Document)) === key);
    if (sameKey.some((e) => sameOptions(e, index))) continue;
    for (const old of sameKey) {
      logger.warn(
        {
          collection,
          index: old.name,
          from: { unique: old.unique === true, partialFilterExpression: old.partialFilterExpression ?? null },
          to: {
            unique: index.unique === true,
            partialFilterExpression: index.partialFilterExpression ?? null,
          },
        },
        'read store index changed: dropping it and creating it again',
      );
      await db.collection(collection).dropIndex(old.name as string);
    }
    missing.push(index);
  }
  return missing;
}

function sameOptions(existing: Document, wanted: IndexDescription): boolean {
  return (
    (existing.unique === true) === (wanted.unique === true) &&
    canonical(existing.partialFilterExpression ?? null) === canonical(wanted.partialFilterExpression ?? null)
  );
}

/** JSON with object keys in a fixed order, so that a filter read back from the server compares equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Document).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
