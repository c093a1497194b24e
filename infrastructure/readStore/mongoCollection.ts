import type { ClientSession, Db, Document, SortDirection } from 'mongodb';
import {
  type Collection,
  type Doc,
  DuplicateKeyError,
  type Filter,
  type FindOptions,
  type Page,
} from '../../application/ports/readStore.ts';
import { decodeCursor, encodeCursor, type SortKey, sortKeys, sortValue } from './cursor.ts';
import {
  assertCollectionName,
  assertDoc,
  type Condition,
  pageLimit,
  parseFilter,
  parseUpdate,
} from './documentRules.ts';
import { asDuplicateKey, mongoField } from './mongoErrors.ts';

/** What a document looks like in MongoDB: our `id` is its `_id`. */
interface StoredDoc {
  _id: string;
  [field: string]: unknown;
}

export function toMongoFilter(conditions: readonly Condition[]): Document {
  if (conditions.length === 0) return {};
  return {
    $and: conditions.map((c) => {
      const operator = c.op === 'in' ? { $in: c.values } : { [`$${c.op}`]: c.value };
      return { [mongoField(c.field)]: operator };
    }),
  };
}

/**
 * MongoDB's sort order across the types JSON documents hold: null (and missing) < numbers < strings < objects
 * < arrays < booleans (< the types JSON never produces). `$gt`/`$lt` compare within one type only, so a
 * keyset condition names the type brackets above (or below) the cursor's value as well.
 */
const BRACKETS: readonly (readonly string[])[] = [
  ['number'],
  ['string', 'symbol'],
  ['object'],
  ['array'],
  ['binData'],
  ['objectId'],
  ['bool'],
  ['date'],
  ['timestamp'],
  ['regex'],
];

function bracketOf(value: string | number | boolean): number {
  return typeof value === 'number' ? 0 : typeof value === 'string' ? 1 : 6;
}

/** Rows strictly past `value` in one key's direction (null/missing sorts first, as in SQLite). */
function pastValue(f: string, value: string | number | boolean | null, direction: 1 | -1): Document | null {
  if (value === null) return direction === 1 ? { [f]: { $ne: null } } : null; // nothing sorts below null
  const bracket = bracketOf(value);
  if (direction === 1) {
    const above = BRACKETS.slice(bracket + 1).flat();
    return { $or: [{ [f]: { $gt: value } }, { [f]: { $type: above } }] };
  }
  const below = BRACKETS.slice(0, bracket).flat();
  const lower: Document[] = [{ [f]: { $lt: value } }, { [f]: null }];
  if (below.length > 0) lower.push({ [f]: { $type: below } });
  return { $or: lower };
}

/** Same keyset as the SQLite adapter: for some key i, all earlier keys equal and key i past the cursor. */
function keysetFilter(keys: readonly SortKey[], values: readonly unknown[]): Document {
  const branches: Document[] = [];
  keys.forEach(([field, direction], i) => {
    const after = pastValue(mongoField(field), sortValue(values[i]), direction);
    if (!after) return;
    const equal = keys.slice(0, i).map(([g], j) => ({ [mongoField(g)]: { $eq: values[j] } }));
    branches.push({ $and: [...equal, after] });
  });
  return branches.length ? { $or: branches } : { _id: { $in: [] } };
}

function valueAt(doc: Document, field: string): unknown {
  let value: unknown = doc;
  for (const segment of mongoField(field).split('.')) {
    value = value !== null && typeof value === 'object' ? (value as Document)[segment] : undefined;
  }
  return value ?? null;
}

function fromMongo<T extends Doc>(raw: Document | null): T | null {
  if (!raw) return null;
  const { _id, ...rest } = raw;
  return { id: _id as string, ...rest } as T;
}

function toMongo(doc: Doc): StoredDoc {
  assertDoc(doc);
  const { id, ...rest } = doc;
  return { _id: id, ...rest };
}

export function mongoCollection<T extends Doc>(
  db: Db,
  name: string,
  session: ClientSession | undefined,
): Collection<T> {
  assertCollectionName(name);
  const coll = db.collection<StoredDoc>(name);
  const opts = session ? { session } : {};
  const write = async <R>(operation: () => Promise<R>): Promise<R> => {
    try {
      return await operation();
    } catch (error) {
      throw asDuplicateKey(error, name);
    }
  };

  const find = async (filter: Filter = {}, options: FindOptions = {}): Promise<Page<T>> => {
    const keys = sortKeys(options.sort);
    const limit = pageLimit(options.limit);
    let query = toMongoFilter(parseFilter(filter));
    if (options.cursor) query = { $and: [query, keysetFilter(keys, decodeCursor(keys, options.cursor))] };
    const sort = keys.map(([field, direction]): [string, SortDirection] => [mongoField(field), direction]);
    const rows = await coll.find(query, { ...opts, sort, limit: limit + 1 }).toArray();
    const more = rows.length > limit;
    const items = more ? rows.slice(0, limit) : rows;
    const last = items.at(-1);
    const nextCursor =
      more && last
        ? encodeCursor(
            keys,
            keys.map(([field]) => sortValue(valueAt(last, field), field)),
          )
        : null;
    return { items: items.map((row) => fromMongo<T>(row) as T), nextCursor };
  };

  return {
    get: async (id) => fromMongo<T>(await coll.findOne({ _id: id }, opts)),

    findOne: async (filter) => (await find(filter, { limit: 1 })).items[0] ?? null,

    find,

    count: async (filter = {}) => coll.countDocuments(toMongoFilter(parseFilter(filter)), opts),

    insert: async (doc) => {
      const raw = toMongo(doc);
      await write(() => coll.insertOne(raw, opts));
    },

    upsert: async (doc) => {
      const { _id, ...rest } = toMongo(doc);
      await write(() => coll.replaceOne({ _id }, rest, { ...opts, upsert: true }));
    },

    patch: async (id, update, options = {}) => {
      const parsed = parseUpdate(update);
      const operators: Document = {};
      if (parsed.set.length) operators.$set = Object.fromEntries(parsed.set);
      if (parsed.inc.length) operators.$inc = Object.fromEntries(parsed.inc);
      if (parsed.unset.length) operators.$unset = Object.fromEntries(parsed.unset.map((p) => [p, '']));
      if (Object.keys(operators).length === 0) {
        // Mongo rejects an empty update; an empty patch only says whether the document is there.
        if ((await coll.countDocuments({ _id: id }, { ...opts, limit: 1 })) > 0) return true;
        if (!options.upsert) return false;
        try {
          await coll.insertOne({ _id: id }, opts);
        } catch (error) {
          if (!(asDuplicateKey(error, name) instanceof DuplicateKeyError)) throw error; // created meanwhile
        }
        return true;
      }
      const result = await write(() =>
        coll.updateOne({ _id: id }, operators, { ...opts, upsert: options.upsert === true }),
      );
      return result.matchedCount > 0 || result.upsertedCount > 0;
    },

    delete: async (id) => (await coll.deleteOne({ _id: id }, opts)).deletedCount > 0,

    deleteMany: async (filter) =>
      (await coll.deleteMany(toMongoFilter(parseFilter(filter)), opts)).deletedCount,
  };
}
