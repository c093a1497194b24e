import {
  type ClientSession,
  type Db,
  type Document,
  type IndexDescription,
  MongoClient,
  MongoServerError,
  type SortDirection,
  WriteConcern,
} from 'mongodb';
import {
  type Collection,
  type Doc,
  DuplicateKeyError,
  type Filter,
  type FindOptions,
  type Page,
  type ReadStore,
} from '../../application/ports/readStore.ts';
import { decodeCursor, encodeCursor, type SortKey, sortKeys } from './cursor.ts';
import {
  assertCollectionName,
  assertDoc,
  assertSwaps,
  type Condition,
  pageLimit,
  parseFilter,
  parseUpdate,
  pathSegments,
} from './documentRules.ts';

/**
 * The MongoDB read store. Our `id` is stored as `_id` and mapped back on the way out.
 *
 * `transaction()` uses a session transaction, which MongoDB only offers on a replica set or a sharded
 * cluster; a single-node replica set is enough (`mongod --replSet rs0`, then `rs.initiate()`). On a
 * standalone server every other method works and `transaction()` fails.
 */
export async function openMongoReadStore(options: { url: string; database: string }): Promise<ReadStore> {
  // Dropping `undefined` fields matches JSON.stringify, which is what the SQLite adapter stores.
  const client = new MongoClient(options.url, { ignoreUndefined: true });
  await client.connect();
  const db = client.db(options.database);

  return {
    collection: <T extends Doc = Doc>(name: string) => mongoCollection<T>(db, name, undefined),

    transaction: async (work) => {
      const session = client.startSession();
      try {
        // withTransaction retries the callback on transient errors, as the port allows.
        return await session.withTransaction(
          () =>
            work({
              collection: <T extends Doc = Doc>(name: string) => mongoCollection<T>(db, name, session),
            }),
          { readConcern: { level: 'snapshot' }, writeConcern: new WriteConcern('majority') },
        );
      } finally {
        await session.endSession();
      }
    },

    ensureIndexes: async (collection, indexes) => {
      assertCollectionName(collection);
      const descriptions = indexes
        .filter((ix) => !(ix.fields.length === 1 && ix.fields[0] === 'id'))
        .map(describeIndex);
      if (descriptions.length === 0) {
        await createCollectionIfMissing(db, collection);
        return;
      }
      try {
        await db.collection(collection).createIndexes(descriptions);
      } catch (error) {
        throw asDuplicateKey(error, collection);
      }
    },

    listCollections: async () => {
      const infos = await db.listCollections({}, { nameOnly: true }).toArray();
      return infos
        .map((info) => info.name)
        .filter((name) => !name.startsWith('system.'))
        .sort();
    },

    dropCollection: async (name) => {
      assertCollectionName(name);
      await db.dropCollection(name); // the driver ignores NamespaceNotFound
    },

    swapCollections: async (renames) => {
      assertSwaps(renames);
      // renameCollection cannot run inside a transaction: each rename is atomic on its own.
      for (const { from, to } of renames) {
        try {
          await db.renameCollection(from, to, { dropTarget: true });
        } catch (error) {
          if (!isNamespaceNotFound(error)) throw error;
          // A rebuild that never wrote anything has no collection: the target simply ends up empty.
          await db.dropCollection(to);
        }
      }
    },

    close: () => client.close(),
  };
}

const DUPLICATE_KEY = 11000;
const NAMESPACE_NOT_FOUND = 26;
const NAMESPACE_EXISTS = 48;

function asDuplicateKey(error: unknown, collection: string): unknown {
  // A transient error inside a transaction must keep its labels so that withTransaction retries it.
  if (
    error instanceof MongoServerError &&
    error.code === DUPLICATE_KEY &&
    !error.hasErrorLabel('TransientTransactionError')
  ) {
    return new DuplicateKeyError(collection, error.message);
  }
  return error;
}

function isNamespaceNotFound(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === NAMESPACE_NOT_FOUND;
}

async function createCollectionIfMissing(db: Db, name: string): Promise<void> {
  try {
    await db.createCollection(name);
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
  }
}

/** What a document looks like in MongoDB: our `id` is its `_id`. */
interface StoredDoc {
  _id: string;
  [field: string]: unknown;
}

const mongoField = (field: string) => (field === 'id' ? '_id' : field);

/**
 * Unique indexes skip documents where a field is missing, like SQLite's (where NULLs never collide);
 * plain Mongo would let only one such document in. An explicit `null` still collides in Mongo.
 */
function describeIndex(index: { fields: readonly string[]; unique?: boolean }): IndexDescription {
  if (index.fields.length === 0) throw new Error('An index needs at least one field');
  for (const field of index.fields) pathSegments(field);
  const key = new Map(index.fields.map((field) => [mongoField(field), 1 as const]));
  if (!index.unique) return { key };
  const present = index.fields.filter((f) => f !== 'id').map((f) => [f, { $exists: true }]);
  return present.length
    ? { key, unique: true, partialFilterExpression: Object.fromEntries(present) }
    : { key, unique: true };
}

function toMongoFilter(conditions: readonly Condition[]): Document {
  if (conditions.length === 0) return {};
  return {
    $and: conditions.map((c) => {
      const operator = c.op === 'in' ? { $in: c.values } : { [`$${c.op}`]: c.value };
      return { [mongoField(c.field)]: operator };
    }),
  };
}

/** Same keyset as the SQLite adapter: NULL/missing sorts first; `$gt`/`$lt` never match NULL. */
function keysetFilter(keys: readonly SortKey[], values: readonly unknown[]): Document {
  const branches: Document[] = [];
  keys.forEach(([field, direction], i) => {
    const f = mongoField(field);
    const value = values[i];
    let after: Document;
    if (value === null) {
      if (direction === -1) return; // nothing sorts below NULL
      after = { [f]: { $ne: null } };
    } else {
      after = direction === 1 ? { [f]: { $gt: value } } : { $or: [{ [f]: { $lt: value } }, { [f]: null }] };
    }
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

function mongoCollection<T extends Doc>(
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
            keys.map(([field]) => valueAt(last, field)),
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
