import { randomUUID } from 'node:crypto';
import { MODEL_NAME_PATTERN } from '../../domain/dataModel.ts';
import type { QuotaDefaults } from '../../domain/projectQuotas.ts';
import { DATA_MODELS, type DataModelDoc, dataModelId } from '../collections/readModel.ts';
import { documentProblems } from '../collections/schemaValidation.ts';
import {
  type Doc,
  DuplicateKeyError,
  type Filter,
  type Page,
  type ReadStore,
  type ReadStoreSession,
  type SortSpec,
  type Update,
} from '../ports/readStore.ts';
import { applyUpdate, type DryRunCapture } from './dryRunEffects.ts';
import { chargeDocuments, checkDocumentQuota, ensureDocumentUsage, jsonBytes } from './projectUsage.ts';

/**
 * Worker data (`m3m.models.collection(name)…`): documents a project's workers store, kept in the read store
 * under the project's namespace (`wm_<project id without hyphens>_<name>`). Primary data: no projection owns
 * these collections, so a replay or rebuild never touches them.
 */

/** JSON size of one document, in UTF-8 bytes. */
export const MAX_MODEL_DOC_BYTES = 256 * 1024;
export const MAX_FIND_LIMIT = 1000;
/** JSON size of one `find` result, in UTF-8 bytes: the same as a host call's result (1 MiB). */
export const MAX_FIND_RESULT_BYTES = 1024 * 1024;
/**
 * Documents read from the store at a time. A find stops once its result would pass the byte cap, so the server
 * never holds more than the cap plus one page (≤ 25 × 256 KiB) for one call, whatever `limit` says.
 */
const FIND_PAGE_DOCS = 25;
const DEFAULT_FIND_LIMIT = 100;
const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
const FIELD_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** A mistake in a worker's call: reaches the guest as a `TypeError` / `RangeError` with this message. */
function bad(message: string): TypeError {
  return new TypeError(message);
}

/** Every collection of a project's worker data starts with this. */
export const modelCollectionPrefix = (projectId: string) => `wm_${projectId.replaceAll('-', '')}_`;

export function modelCollection(projectId: string, name: unknown): string {
  if (typeof name !== 'string' || !MODEL_NAME_PATTERN.test(name)) {
    throw bad(
      'a collection name is 1–41 lowercase letters, digits or "_", starting with a letter (e.g. "orders")',
    );
  }
  return `${modelCollectionPrefix(projectId)}${name}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkSize(doc: unknown): void {
  const bytes = Buffer.byteLength(JSON.stringify(doc), 'utf8');
  if (bytes > MAX_MODEL_DOC_BYTES) {
    throw new RangeError(`a document is at most ${MAX_MODEL_DOC_BYTES} bytes of JSON (this one: ${bytes})`);
  }
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw bad('an id is a string of 1–128 letters, digits or "_.:-"');
  }
  return id;
}

function checkPath(path: string, what: string): void {
  if (!FIELD_PATH.test(path) || path.split('.')[0] === '_id' || path.split('.')[0] === 'id') {
    if (path === 'id' && what === 'filter') return;
    throw bad(
      `${what}: "${path}" is not a field path (letters, digits, "_", "-", dotted; not _id${what === 'filter' ? '' : ' or id'})`,
    );
  }
}

const OPERATORS = new Set(['$in', '$ne', '$gt', '$gte', '$lt', '$lte']);

export function checkFilter(filter: unknown): Filter {
  if (filter === undefined || filter === null) return {};
  if (!isPlainObject(filter)) throw bad('a filter is an object: { field: value, field: { $gt: 1 } }');
  for (const [path, condition] of Object.entries(filter)) {
    checkPath(path, 'filter');
    if (isPlainObject(condition)) {
      for (const op of Object.keys(condition)) {
        if (!OPERATORS.has(op))
          throw bad(`filter on "${path}": unknown operator ${op} (use $in, $ne, $gt, $gte, $lt, $lte)`);
      }
    }
  }
  return filter as Filter;
}

export function checkSort(sort: unknown): SortSpec | undefined {
  if (sort === undefined || sort === null) return undefined;
  if (!isPlainObject(sort)) throw bad('sort is an object: { field: 1 | -1 }');
  for (const [path, direction] of Object.entries(sort)) {
    checkPath(path, 'sort');
    if (/^\d+$/.test(path)) throw bad('sort: a field name may not be a number');
    if (direction !== 1 && direction !== -1) throw bad(`sort on "${path}": 1 (ascending) or -1 (descending)`);
  }
  return sort as SortSpec;
}

function checkUpdate(changes: unknown): Update {
  if (!isPlainObject(changes))
    throw bad('an update is an object: { field: value } or { $set, $inc, $unset }');
  const keys = Object.keys(changes);
  const operators = keys.filter((k) => k.startsWith('$'));
  let update: Update;
  if (operators.length === 0) update = { $set: changes };
  else if (operators.length !== keys.length)
    throw bad('an update is either fields or operators ($set, $inc, $unset), not both');
  else {
    for (const op of operators)
      if (!['$set', '$inc', '$unset'].includes(op)) throw bad(`unknown update operator ${op}`);
    if (changes.$set !== undefined && !isPlainObject(changes.$set)) throw bad('$set is an object');
    if (changes.$inc !== undefined && !isPlainObject(changes.$inc)) throw bad('$inc is an object of numbers');
    if (
      changes.$unset !== undefined &&
      !(Array.isArray(changes.$unset) && changes.$unset.every((p) => typeof p === 'string'))
    ) {
      throw bad('$unset is an array of field paths');
    }
    update = changes as Update;
  }
  for (const path of [
    ...Object.keys(update.$set ?? {}),
    ...Object.keys(update.$inc ?? {}),
    ...(update.$unset ?? []),
  ]) {
    checkPath(path, 'update');
  }
  for (const [path, by] of Object.entries(update.$inc ?? {})) {
    if (typeof by !== 'number' || !Number.isFinite(by)) throw bad(`$inc of "${path}" needs a finite number`);
  }
  return update;
}

/** Deletes one of the project's documents and takes it off the project's usage, in one transaction. */
export async function deleteModelDocument(
  readStore: ReadStore,
  projectId: string,
  collectionName: string,
  id: string,
): Promise<boolean> {
  await ensureDocumentUsage(readStore, projectId, modelCollectionPrefix(projectId));
  return readStore.transaction(async (session) => {
    const c = session.collection(collectionName);
    const doc = await c.get(id);
    if (!doc) return false;
    await c.delete(id);
    await chargeDocuments(session, projectId, { documents: -1, bytes: -jsonBytes(doc) }, null);
    return true;
  });
}

/** A write that does not match the collection's model: the guest sees `ValidationError: …`. */
export class ModelValidationError extends Error {
  override name = 'ValidationError';
}

/** Refuses `doc` when the collection has a model and the document does not match it. */
async function conform(
  readStore: ReadStoreSession,
  projectId: string,
  name: string,
  doc: Doc,
): Promise<void> {
  const model = await readStore.collection<DataModelDoc>(DATA_MODELS).get(dataModelId(projectId, name));
  if (!model) return;
  const problems = documentProblems(model.schema, doc);
  if (problems !== null) {
    throw new ModelValidationError(`the document does not match the model of "${name}": ${problems}`);
  }
}

/** The read store's own messages (bad paths, conflicting updates) are about the worker's input. */
async function asWorkerError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError || error instanceof ModelValidationError)
      throw error;
    if (error instanceof DuplicateKeyError) throw new Error('a document with this id already exists');
    if (error instanceof Error && /^(Invalid|Conflicting|The id|\$inc)/.test(error.message))
      throw bad(error.message);
    throw error;
  }
}

export interface ModelOps {
  insert(args: unknown[]): Promise<Doc>;
  find(args: unknown[]): Promise<Doc[]>;
  findOne(args: unknown[]): Promise<Doc | null>;
  update(args: unknown[]): Promise<Doc | null>;
  delete(args: unknown[]): Promise<boolean>;
}

/**
 * The `models.<op>` host functions of one project. In a dry run (`dryRun`), writes are checked exactly as they
 * would be (ids, sizes, the model) and recorded instead of made; reads see the real data.
 * Each receives `[collectionName, ...args]`:
 * `insert(doc)` → the stored doc (id generated when absent); `find(filter?, { sort?, limit? })` → docs
 * (limit ≤ 1000, default 100); `findOne(filter | id)` → doc or null; `update(id, changes)` → the updated doc or
 * null when there is none (`changes`: fields to set, or `{ $set, $inc, $unset }`); `delete(id)` → whether it existed.
 */
export function modelOps(
  readStore: ReadStore,
  projectId: string,
  dryRun?: DryRunCapture,
  /** The project's quotas (issue 12, item 5): every write is counted against them, growths refused past them. */
  quotasOf?: () => Promise<QuotaDefaults>,
): ModelOps {
  const collection = (name: unknown) => readStore.collection(modelCollection(projectId, name));
  const quotas = async () => {
    await ensureDocumentUsage(readStore, projectId, modelCollectionPrefix(projectId));
    return quotasOf ? quotasOf() : null;
  };
  /** A dry run checks the quota as the write would, and writes nothing. */
  const checkOnly = async (change: { documents: number; bytes: number }) => {
    const limits = await quotas();
    if (limits) await checkDocumentQuota(readStore, projectId, change, limits);
  };
  return {
    insert: ([name, doc]) =>
      asWorkerError(async () => {
        const c = collection(name);
        if (!isPlainObject(doc)) throw bad('insert(doc): doc is an object');
        if ('_id' in doc) throw bad('a document may not have an _id field (its id is "id")');
        const stored = { ...doc, id: doc.id === undefined ? randomUUID() : checkId(doc.id) } as Doc;
        checkSize(stored);
        await conform(readStore, projectId, name as string, stored);
        if (dryRun) {
          if (await c.get(stored.id)) throw new DuplicateKeyError(String(name), stored.id);
          await checkOnly({ documents: 1, bytes: jsonBytes(stored) });
          dryRun.record({ kind: 'models.insert', collection: name as string, document: stored });
          return stored;
        }
        const limits = await quotas();
        const collectionName = modelCollection(projectId, name);
        await readStore.transaction(async (session) => {
          await session.collection(collectionName).insert(stored);
          await chargeDocuments(session, projectId, { documents: 1, bytes: jsonBytes(stored) }, limits);
        });
        return stored;
      }),
    find: ([name, filter, options]) =>
      asWorkerError(async () => {
        const c = collection(name);
        const f = checkFilter(filter);
        if (options !== undefined && options !== null && !isPlainObject(options))
          throw bad('find(filter, options): options is { sort?, limit? }');
        const opts = (options ?? {}) as { sort?: unknown; limit?: unknown };
        const limit = opts.limit ?? DEFAULT_FIND_LIMIT;
        if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_FIND_LIMIT) {
          throw new RangeError(`find: limit is a whole number from 1 to ${MAX_FIND_LIMIT}`);
        }
        const sort = checkSort(opts.sort);
        const items: Doc[] = [];
        let bytes = 2; // the brackets of the array
        let cursor: string | null = null;
        do {
          const page: Page<Doc> = await c.find(f, {
            ...(sort ? { sort } : {}),
            limit: Math.min(FIND_PAGE_DOCS, limit - items.length),
            cursor,
          });
          for (const doc of page.items) {
            bytes += Buffer.byteLength(JSON.stringify(doc), 'utf8') + (items.length > 0 ? 1 : 0);
            if (bytes > MAX_FIND_RESULT_BYTES) {
              throw new RangeError(
                `m3m.models.find: the result would pass ${MAX_FIND_RESULT_BYTES} bytes of JSON after ${items.length} documents; ask for fewer (limit) and page with a filter on a sorted field`,
              );
            }
            items.push(doc);
          }
          cursor = page.nextCursor;
        } while (cursor !== null && items.length < limit);
        return items;
      }),
    findOne: ([name, filterOrId]) =>
      asWorkerError(async () => {
        const c = collection(name);
        if (typeof filterOrId === 'string') return c.get(checkId(filterOrId));
        return c.findOne(checkFilter(filterOrId));
      }),
    update: ([name, id, changes]) =>
      asWorkerError(async () => {
        const key = checkId(id);
        const update = checkUpdate(changes);
        const collectionName = modelCollection(projectId, name);
        if (dryRun) {
          const current = await readStore.collection(collectionName).get(key);
          if (!current) return null;
          const after = applyUpdate(current, update);
          checkSize(after);
          await conform(readStore, projectId, name as string, after);
          await checkOnly({ documents: 0, bytes: jsonBytes(after) - jsonBytes(current) });
          dryRun.record({ kind: 'models.update', collection: name as string, id: key, document: after });
          return after;
        }
        const limits = await quotas();
        // In one transaction: an update that makes the document too large, or the project pass its quota, is
        // rolled back.
        return readStore.transaction(async (session) => {
          const c = session.collection(collectionName);
          const before = await c.get(key);
          if (!before) return null;
          await c.patch(key, update);
          const after = await c.get(key);
          if (after) {
            checkSize(after);
            await conform(session, projectId, name as string, after);
            await chargeDocuments(
              session,
              projectId,
              { documents: 0, bytes: jsonBytes(after) - jsonBytes(before) },
              limits,
            );
          }
          return after;
        });
      }),
    delete: ([name, id]) =>
      asWorkerError(async () => {
        const key = checkId(id);
        if (!dryRun) return deleteModelDocument(readStore, projectId, modelCollection(projectId, name), key);
        const existed = (await collection(name).get(key)) !== null;
        dryRun.record({ kind: 'models.delete', collection: name as string, id: key, existed });
        return existed;
      }),
  };
}
