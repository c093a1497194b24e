import type { JsonSchema } from '../../domain/dataModel.ts';
import { collectionsInterface } from '../collections/modelTypes.ts';
import type { RuntimeExtension } from '../ports/runtimeExtensions.ts';

/**
 * The TypeScript declarations of the Runtime API as a worker sees it (global `m3m`, the handler shapes), for
 * the editor's autocomplete: `GET /api/v1/projects/:id/runtime.d.ts`. The project's active extensions append
 * their own declarations inside `declare namespace m3m`.
 */
export const RUNTIME_DTS = `// m3m Runtime API — the global \`m3m\` inside a worker.
// A worker is an ES module whose default export holds its handlers:
//   export default {
//     async run(input) { … },            // "run now" with a JSON input
//     async fetch(request) { … },        // ANY /run/<project-slug>/<worker-slug>
//     async onEvent(event) { … },        // the event types listed in its triggers
//     async scheduled(tick) { … },       // its cron expression
//   } satisfies m3m.Worker;
// Values cross into and out of the worker as JSON copies. Every m3m call except log is asynchronous.

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * Calls \`callback(...args)\` after \`delay\` ms, within the invocation: its wall-time limit bounds the wait, and
 * timers still pending when the handler returns are dropped. An exception in the callback is logged.
 */
declare function setTimeout<A extends unknown[]>(callback: (...args: A) => void, delay?: number, ...args: A): number;
declare function clearTimeout(id: number | undefined): void;
declare function queueMicrotask(callback: () => void): void;
/** Not available in workers (it throws a TypeError): use a schedule trigger, or setTimeout within the invocation. */
declare function setInterval(...args: never[]): never;
/** Not available in workers (it throws a TypeError): use setTimeout(callback, 0) or queueMicrotask. */
declare function setImmediate(...args: never[]): never;

declare namespace m3m {
  interface Worker {
    run?(input: Json | undefined): unknown;
    fetch?(request: HttpRequest): HttpResponse | Promise<HttpResponse>;
    /**
     * Called for each event of the types in its triggers, at least once per event (an event may come again after a
     * crash: use \`event.id\` to tell). One at a time, in the order of the events, unless the worker's
     * \`limits.concurrency\` is more than 1 (set in the worker's API or its Triggers tab): then up to that many of its
     * invocations run at once, in no promised order, each in an isolate of its own: module-level variables are not
     * shared between them, and each has the worker's memory limit.
     */
    onEvent?(event: Event): unknown;
    scheduled?(tick: ScheduledTick): unknown;
  }

  /** What the HTTP trigger passes to \`fetch\`. The API key and cookies are not included in \`headers\`. */
  interface HttpRequest {
    method: string;
    /** The full URL as received. */
    url: string;
    /** The path after /run/<project-slug>/<worker-slug>, starting with "/" ("/" when empty). */
    path: string;
    query: Record<string, string | string[]>;
    headers: Record<string, string>;
    /** The body as text (at most 1 MB), "" when there is none. */
    body: string;
  }

  /** What \`fetch\` returns: the HTTP response. A non-string body is sent as JSON. */
  interface HttpResponse {
    status?: number;
    headers?: Record<string, string>;
    body?: Json;
  }

  /** What \`onEvent\` receives. */
  interface Event {
    id: string;
    type: string;
    /** Built-in events: their data; custom events: { projectId, payload, depth }. */
    data: any;
    metadata: {
      timestamp: string;
      source: string;
      correlationId: string;
      causationId: string | null;
      /** How many worker invocations led to this event (0: none); past M3M_EVENT_DEPTH_LIMIT it is not delivered. */
      depth: number;
    };
    /** Position of the event in the event log. */
    position: number;
  }

  /** What \`scheduled\` receives. */
  interface ScheduledTick {
    /** The tick this run is for (ISO 8601, UTC). */
    scheduledAt: string;
    cron: string;
  }

  /** Log lines kept with the invocation record (capped per invocation). \`console.*\` writes here too. */
  namespace log {
    function debug(...values: unknown[]): void;
    function info(...values: unknown[]): void;
    function warn(...values: unknown[]): void;
    function error(...values: unknown[]): void;
  }

  namespace goals {
    /**
     * Adds \`by\` (default 1) to a goal of this project (by its own slug, e.g. "visits", or its full slug) or to
     * a global goal that allows this project. Throws NotFoundError / ForbiddenError otherwise.
     */
    function increment(slug: string, by?: number): Promise<{ goalId: string; slug: string; by: number; day: string }>;
  }

  namespace env {
    /** The project's variable (secrets decrypted), or null when it is not set. */
    function get(name: string): Promise<string | null>;
  }

  namespace models {
    interface Document {
      id: string;
      [field: string]: Json;
    }
    /** Equality, or { $in, $ne, $gt, $gte, $lt, $lte } per field (dotted paths allowed). */
    type Filter = Record<string, Json>;
    /** A document to insert: its fields, with an optional id (generated when absent). */
    type New<T> = { [K in keyof T as K extends 'id' ? never : K]: T[K] } & { id?: string };
    /** Fields to set, or the operators { $set, $inc, $unset }. */
    type Changes<T> =
      | { [K in keyof T as K extends 'id' ? never : K]?: T[K] }
      | { $set?: Record<string, Json>; $inc?: Record<string, number>; $unset?: string[] };
    interface Collection<T = Document> {
      /** Stores a document (≤ 256 KB of JSON); an id is generated when absent. A model's schema is enforced. */
      insert(doc: New<T>): Promise<T>;
      /** Matching documents: limit 1–1000 (default 100); sort e.g. { createdAt: -1 }. */
      find(filter?: Filter, options?: { sort?: Record<string, 1 | -1>; limit?: number }): Promise<T[]>;
      /** By id, or the first match of a filter; null when none. */
      findOne(filterOrId: Filter | string): Promise<T | null>;
      /** The updated document, or null when there is none. A model's schema is enforced on the result. */
      update(id: string, changes: Changes<T>): Promise<T | null>;
      /** Whether it existed. */
      delete(id: string): Promise<boolean>;
    }
@COLLECTIONS@
    /** A collection that has a model (its JSON Schema, defined in the admin UI): typed documents. */
    function collection<N extends keyof Collections>(name: N): Collection<Collections[N]>;
    /** A collection of this project's data; name: lowercase letters, digits, "_" (≤ 41, starting with a letter). */
    function collection(name: string): Collection;
  }

  namespace events {
    /**
     * Appends a custom event (type like "OrderPlaced", never one of m3m's own; data ≤ 64 KB of JSON). Workers
     * listening to that type are called with it. A chain of events deeper than the installation's limit throws.
     */
    function emit(type: string, data?: Json): Promise<{ eventId: string }>;
  }

  namespace http {
    /**
     * An outbound HTTP request: http/https, public addresses only, 10 s, responses up to 1 MB, redirects not
     * followed. A non-string body is sent as JSON.
     */
    function fetch(
      url: string,
      init?: { method?: string; headers?: Record<string, string>; body?: Json },
    ): Promise<{ status: number; headers: Record<string, string>; body: string }>;
  }
`;

/** The declarations for a project: its data models typed, its active extensions' functions appended. */
export function runtimeDts(
  extensions: readonly RuntimeExtension[],
  models: readonly { name: string; schema: JsonSchema }[] = [],
): string {
  const parts = [
    RUNTIME_DTS.replace(
      '@COLLECTIONS@',
      `    /** The project's data models, by collection name. */\n${collectionsInterface(models, '    ')}`,
    ),
  ];
  for (const extension of extensions) {
    const dts = extension.dts.trim()
      ? extension.dts.trimEnd()
      : untypedDeclarations(Object.keys(extension.functions));
    parts.push(`\n  // module ${extension.moduleCode}\n${dts}\n`);
  }
  parts.push('}\n');
  return parts.join('');
}

/** A plugin without declarations: each function by its path, untyped, so that the editor still knows it. */
export function untypedDeclarations(paths: readonly string[]): string {
  type Tree = { [segment: string]: Tree | null };
  const tree: Tree = {};
  for (const path of [...paths].sort()) {
    const segments = path.split('.');
    let node = tree;
    for (const segment of segments.slice(0, -1)) {
      node[segment] ??= {};
      node = node[segment] as Tree;
    }
    node[segments.at(-1)!] = null;
  }
  const render = (node: Tree, indent: string): string =>
    Object.entries(node)
      .map(([name, child]) =>
        child === null
          ? `${indent}function ${name}(...args: unknown[]): Promise<unknown>;`
          : `${indent}namespace ${name} {\n${render(child, `${indent}  `)}\n${indent}}`,
      )
      .join('\n');
  return render(tree, '  ');
}
