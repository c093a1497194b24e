import type { Doc } from '../ports/readStore.ts';

/**
 * What a dry run records instead of doing: each side effect a worker asked for, in order. Reads (goals, the
 * environment, `models.find`) see the real data; nothing is written, appended or sent.
 */
export type DryRunEffect =
  | { kind: 'goals.increment'; goal: string; by: number }
  | { kind: 'models.insert'; collection: string; document: Doc }
  | { kind: 'models.update'; collection: string; id: string; document: Doc }
  | { kind: 'models.delete'; collection: string; id: string; existed: boolean }
  | { kind: 'events.emit'; type: string; data: unknown }
  | { kind: 'http.fetch'; method: string; url: string; answered: 'canned' | 'refused' }
  | { kind: 'plugin'; path: string };

/** A response the user supplies for `m3m.http.fetch` during a dry run (matched on method and exact URL). */
export interface CannedResponse {
  /** Any method when absent. */
  method?: string | undefined;
  url: string;
  status: number;
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
}

export interface DryRunCapture {
  record(effect: DryRunEffect): void;
  httpResponses: readonly CannedResponse[];
}

/** An effect the dry run cannot stand in for: the worker sees `DryRunError` with what to do about it. */
export class DryRunError extends Error {
  override name = 'DryRunError';
}

export function cannedResponse(
  responses: readonly CannedResponse[],
  method: string,
  url: string,
): { status: number; headers: Record<string, string>; body: string } | null {
  const found = responses.find(
    (r) => r.url === url && (r.method === undefined || r.method.toUpperCase() === method),
  );
  return found ? { status: found.status, headers: found.headers ?? {}, body: found.body ?? '' } : null;
}

/** `$set` / `$inc` / `$unset` applied to a copy, as the read store would apply them (dotted paths). */
export function applyUpdate(
  doc: Doc,
  update: { $set?: Record<string, unknown>; $inc?: Record<string, number>; $unset?: readonly string[] },
): Doc {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const parentOf = (path: string, create: boolean) => {
    const parts = path.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const part of parts.slice(0, -1)) {
      const next: unknown = node?.[part];
      if (next === undefined && create) node![part] = {};
      else if (next === null || typeof next !== 'object' || Array.isArray(next)) {
        if (!create) return { node: undefined, key: parts.at(-1)! };
        throw new TypeError(`Conflicting update: "${path}" goes through a field that is not an object`);
      }
      node = node![part] as Record<string, unknown>;
    }
    return { node, key: parts.at(-1)! };
  };
  for (const [path, value] of Object.entries(update.$set ?? {})) {
    const { node, key } = parentOf(path, true);
    node![key] = structuredClone(value);
  }
  for (const [path, by] of Object.entries(update.$inc ?? {})) {
    const { node, key } = parentOf(path, true);
    const current = node![key] ?? 0;
    if (typeof current !== 'number') throw new TypeError(`$inc of "${path}": the field is not a number`);
    node![key] = current + by;
  }
  for (const path of update.$unset ?? []) {
    const { node, key } = parentOf(path, false);
    if (node) delete node[key];
  }
  return copy as Doc;
}
