import type { Doc, Filter, Scalar, Update } from '../../application/ports/readStore.ts';

/**
 * Validation and parsing shared by every ReadStore adapter, so that both engines accept and reject
 * exactly the same inputs. Field paths end up inside SQL text (index expressions must be literal to be
 * usable by the planner), so they are held to a strict alphabet.
 */

const COLLECTION_NAME = /^[A-Za-z0-9_]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9_-]+$/;

export function assertCollectionName(name: string): void {
  if (!COLLECTION_NAME.test(name)) throw new Error(`Invalid collection name: ${JSON.stringify(name)}`);
}

/** `a.b.c` → `['a', 'b', 'c']`; `_id` is reserved because the Mongo adapter stores our `id` there. */
export function pathSegments(path: string): string[] {
  const segments = path.split('.');
  if (!segments.every((s) => PATH_SEGMENT.test(s)) || segments[0] === '_id') {
    throw new Error(`Invalid field path: ${JSON.stringify(path)}`);
  }
  return segments;
}

export function assertDoc(doc: Doc): void {
  if (typeof doc?.id !== 'string' || doc.id === '') throw new Error('A document needs a non-empty string id');
  if ('_id' in doc) throw new Error('Documents may not carry an _id field');
}

export type Condition =
  | { field: string; op: 'eq' | 'ne'; value: Scalar }
  | { field: string; op: 'in'; values: readonly Scalar[] }
  | { field: string; op: 'gt' | 'gte' | 'lt' | 'lte'; value: string | number };

function isScalar(value: unknown): value is Scalar {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function isRangeValue(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

export function parseFilter(filter: Filter = {}): Condition[] {
  const conditions: Condition[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    if (condition === undefined) continue;
    pathSegments(field);
    const bad = (what: string) => new Error(`Invalid filter on ${field}: ${what}`);
    if (condition === null || typeof condition !== 'object') {
      if (!isScalar(condition)) throw bad('not a scalar');
      conditions.push({ field, op: 'eq', value: condition });
      continue;
    }
    const operators = Object.entries(condition).filter(([, v]) => v !== undefined);
    if (operators.length === 0) throw bad('empty condition');
    for (const [key, value] of operators) {
      if (key === '$in') {
        if (!Array.isArray(value) || !value.every(isScalar)) throw bad('$in needs an array of scalars');
        conditions.push({ field, op: 'in', values: value });
      } else if (key === '$ne') {
        if (!isScalar(value)) throw bad('$ne needs a scalar');
        conditions.push({ field, op: 'ne', value });
      } else if (key === '$gt' || key === '$gte' || key === '$lt' || key === '$lte') {
        if (!isRangeValue(value)) throw bad(`${key} needs a string or a number`);
        conditions.push({ field, op: key.slice(1) as 'gt' | 'gte' | 'lt' | 'lte', value });
      } else {
        throw bad(`unknown operator ${key}`);
      }
    }
  }
  return conditions;
}

export interface ParsedUpdate {
  set: [path: string, value: unknown][];
  inc: [path: string, by: number][];
  unset: string[];
}

/**
 * Rejects updates the engines would treat differently: touching `id`, or two operators on the same or
 * nested paths (Mongo refuses those; SQLite would silently apply them in some order).
 */
export function parseUpdate(update: Update): ParsedUpdate {
  const set = Object.entries(update.$set ?? {}).filter(([, v]) => v !== undefined);
  const inc = Object.entries(update.$inc ?? {});
  const unset = [...(update.$unset ?? [])];
  for (const [path, by] of inc) {
    if (typeof by !== 'number' || !Number.isFinite(by))
      throw new Error(`$inc of ${path} needs a finite number`);
  }
  const paths = [...set.map(([p]) => p), ...inc.map(([p]) => p), ...unset];
  const seen: string[][] = [];
  for (const path of paths) {
    const segments = pathSegments(path);
    if (segments[0] === 'id') throw new Error('The id of a document cannot be updated');
    const clash = seen.find((other) => other.every((s, i) => i >= segments.length || s === segments[i]));
    if (clash) throw new Error(`Conflicting update paths: ${clash.join('.')} and ${path}`);
    seen.push(segments);
  }
  return { set, inc, unset };
}

export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 10_000;

/** A page is always bounded, so a forgotten limit can never load a whole collection into memory. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`Invalid limit: ${limit}`);
  return Math.min(limit, MAX_PAGE);
}

export function assertSwaps(renames: readonly { from: string; to: string }[]): void {
  const names = renames.flatMap(({ from, to }) => [from, to]);
  for (const name of names) assertCollectionName(name);
  // A name used twice would make the outcome depend on the order of the renames.
  if (new Set(names).size !== names.length)
    throw new Error('swapCollections: each name may appear only once');
}
