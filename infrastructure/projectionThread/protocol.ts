import type { ConsumerStatus, FeedPage, RelayFilter } from '../../application/eventFeed.ts';
import type { Position } from '../../application/ports/eventStore.ts';
import type { ProjectionStatus, RebuildProgress } from '../../projections/projectionRunner.ts';
import type { Config } from '../config.ts';

/** The messages between the HTTP thread and the projection thread (ADR 30). Plain data: structured clones. */

export interface ThreadData {
  config: Config;
  /** The HTTP thread's log level: the thread's lines are written through its logger. */
  logLevel: string;
  /** The SQLite read store's write lock (`threadWriteLock.ts`). */
  lock: SharedArrayBuffer;
  /** Whether the thread waits to be told of appends (`threadWake.ts`). */
  wake: SharedArrayBuffer;
  /** How many wait on the HTTP thread for the projections to reach a position: reported at once meanwhile. */
  waiting: SharedArrayBuffer;
  /** The feed's retry backoff (tests shorten it). */
  backoff?: { initialMs: number; maxMs: number };
}

export type Target = 'runner' | 'outbox' | 'feed';

/**
 * How long a relayed consumer may go without being told how far the pages left out for it took it (ADR 33): its
 * checkpoint follows (`/health`'s position and lag for it, and where it resumes after a restart).
 */
export const RELAY_TELL_MS = 50;
/** At most this often a status report while pages come (at once on a change of state, or while one waits). */
export const REPORT_MS = 50;

/** A consumer on the HTTP thread, as the projection thread's feed knows it. */
export interface RelaySpec {
  name: string;
  eventTypes?: readonly string[];
  /** What the thread leaves out of its pages (`FeedConsumer.relayFilter`). */
  filter?: RelayFilter;
}

export interface ErrorData {
  name: string;
  message: string;
  stack?: string;
}

export interface Snapshot {
  runner: ProjectionStatus[];
  outbox: ProjectionStatus[];
  feed: { halted: string | null; lastError: string | null; consumers: ConsumerStatus[] };
}

/** HTTP thread → projection thread. */
export type ToThread =
  | { t: 'call'; id: number; target: Target; method: string; args: unknown[] }
  | { t: 'answer'; id: number; ok: true; value?: unknown }
  | { t: 'answer'; id: number; ok: false; error: ErrorData }
  /** Events were appended through the HTTP thread's connection while the thread was idle: it looks now. */
  | { t: 'appended' }
  /** Someone began waiting for a position (none was): a status report held back goes now. */
  | { t: 'waiting' }
  /** Tests: the thread fails as an unexpected error would make it. */
  | { t: 'crash' };

/** Projection thread → HTTP thread. */
export type FromThread =
  | { t: 'ready'; runner: string[]; outbox: string[] }
  | { t: 'failed'; error: ErrorData }
  | { t: 'reply'; id: number; ok: true; value?: unknown }
  | { t: 'reply'; id: number; ok: false; error: ErrorData }
  | { t: 'status'; snapshot: Snapshot }
  | { t: 'progress'; id: number; progress: RebuildProgress }
  /** The feed asks a relayed consumer for its checkpoint, or hands it a page. */
  | { t: 'resume'; id: number; name: string }
  | { t: 'page'; id: number; name: string; page: FeedPage }
  /** The webhook outbox queued a message: the sender (HTTP thread) looks now. */
  | { t: 'nudge' }
  | { t: 'log'; line: string };

export function errorData(error: unknown): ErrorData {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

export type { Position };
