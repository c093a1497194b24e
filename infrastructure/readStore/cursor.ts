import { InvalidCursorError, type SortSpec } from '../../application/ports/readStore.ts';
import { pathSegments } from './documentRules.ts';

export type SortKey = readonly [field: string, direction: 1 | -1];

/** The effective sort: the requested keys, then `id` ascending; keys after `id` could never matter. */
export function sortKeys(sort: SortSpec = {}): SortKey[] {
  const keys: SortKey[] = [];
  for (const [field, direction] of Object.entries(sort)) {
    pathSegments(field);
    if (direction !== 1 && direction !== -1) throw new Error(`Invalid sort direction for ${field}`);
    keys.push([field, direction]);
    if (field === 'id') return keys;
  }
  keys.push(['id', 1]);
  return keys;
}

const signature = (keys: readonly SortKey[]) => keys.map(([f, d]) => (d === 1 ? f : `-${f}`));

/**
 * A keyset cursor: the last row's values for every sort key. It carries the sort it was made for, so
 * a cursor replayed against another sort fails loudly instead of skipping or repeating rows.
 */
export function encodeCursor(keys: readonly SortKey[], values: readonly unknown[]): string {
  return Buffer.from(JSON.stringify({ k: signature(keys), v: values })).toString('base64url');
}

export function decodeCursor(keys: readonly SortKey[], cursor: string): unknown[] {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const { k, v } = (payload !== null && typeof payload === 'object' ? payload : {}) as {
    k?: unknown;
    v?: unknown;
  };
  if (JSON.stringify(k) !== JSON.stringify(signature(keys))) {
    throw new InvalidCursorError(
      'This cursor was made for another list or order: start from the first page.',
    );
  }
  if (!Array.isArray(v) || v.length !== keys.length) throw new InvalidCursorError();
  // Each value as a cursor may hold it (a scalar or null): a forged one is refused here, not by the engine.
  for (const value of v) sortValue(value);
  return v;
}

/**
 * A sort key's value as a cursor holds it: a scalar, `null` for missing. Past an object or an array neither
 * engine can say which documents come next the way the other would, so a page may not end on one.
 */
export function sortValue(value: unknown, field?: string): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (field === undefined) throw new InvalidCursorError();
  throw new Error(
    `Cannot page on ${field}: a document holds an object or an array there (sort on scalar fields)`,
  );
}
