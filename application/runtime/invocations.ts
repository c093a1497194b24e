import type { Page, ReadStore, ReadStoreSession } from '../ports/readStore.ts';
import type { HandlerName, InvocationErrorInfo, InvocationOutcome, LogLine } from '../ports/workerSandbox.ts';
import { WORKER_INVOCATIONS } from '../workers/readModel.ts';
import { chargeLogs, sweepLogUsage } from './projectUsage.ts';
import { recordDailyStats } from './stats.ts';
import { batchedWrite } from './writeBatch.ts';

export const TRIGGER_KINDS = ['manual', 'http', 'event', 'schedule'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];
export const OUTCOMES = ['ok', 'error', 'timeout', 'cpu_limit', 'memory_limit', 'crashed'] as const;

/**
 * One invocation of a worker: operational data, not an event (the event log is forever, logs expire). Kept in
 * `worker_invocations` for the retention period.
 */
export interface InvocationRecord {
  id: string;
  workerId: string;
  projectId: string;
  version: number;
  handler: HandlerName;
  trigger: TriggerKind;
  /** The triggering event (`event` trigger), else `null`. */
  eventId: string | null;
  /** The tick a `schedule` invocation ran for, else `null`. */
  scheduledAt: string | null;
  /** ISO 8601, UTC, from the injected clock. */
  startedAt: string;
  durationMs: number;
  cpuMs: number;
  coldStart: boolean;
  outcome: InvocationOutcome;
  /** Stack frames point into `worker.js:LINE:COL`. */
  error: InvocationErrorInfo | null;
  logs: LogLine[];
  /** The result as JSON, cut to 1,000 characters; `null` without a result. */
  resultPreview: string | null;
  /**
   * The run's input as JSON, redacted and cut (see invocationInput.ts); `null` without one. Absent in records
   * stored before inputs were kept.
   */
  input?: string | null;
  inputTruncated?: boolean;
  /** Order in which records were stored and published (`InvocationFeed.nextSeq`); absent in older records. */
  seq?: string;
  [field: string]: unknown;
}

export const INVOCATION_INDEXES = [
  { fields: ['workerId', 'startedAt'] },
  { fields: ['workerId', 'seq'] },
  { fields: ['projectId', 'startedAt'] },
  { fields: ['startedAt'] },
] as const;

export async function ensureInvocationIndexes(readStore: ReadStore): Promise<void> {
  await readStore.ensureIndexes(WORKER_INVOCATIONS, INVOCATION_INDEXES);
  await readStore.ensureIndexes('worker_stats_daily', [{ fields: ['workerId', 'day'] }]);
}

const PREVIEW_CHARS = 1000;

export function resultPreview(result: unknown): string | null {
  if (result === undefined) return null;
  const json = JSON.stringify(result);
  if (json === undefined) return null;
  return json.length > PREVIEW_CHARS ? `${json.slice(0, PREVIEW_CHARS)}…` : json;
}

/**
 * Stores the record and adds it to its worker's daily statistics, in one transaction. With `logQuota` its log
 * lines count against the project's log quota; past it they are replaced by one line that says so (the record
 * itself is always kept). Returns the record as stored.
 *
 * Records share transactions with the runtime's other small writes (`writeBatch.ts`): a burst of event deliveries
 * ends many invocations at once, and a transaction per record held the writer lock for each. `linger`: nobody
 * waits for this one (an event delivery's), so it may wait a few milliseconds for company. `alsoIn`: more to do
 * in the same transaction (clearing the worker's breaker after a success).
 */
export function storeInvocation(
  readStore: ReadStore,
  record: InvocationRecord,
  logQuota?: number | ((session: ReadStoreSession) => Promise<number>),
  options: { linger?: boolean; alsoIn?: (session: ReadStoreSession) => Promise<void> } = {},
): Promise<InvocationRecord> {
  return batchedWrite(
    readStore,
    async (session) => {
      const quota = typeof logQuota === 'function' ? await logQuota(session) : logQuota;
      const stored = await storeIn(session, record, quota);
      await options.alsoIn?.(session);
      return stored;
    },
    { linger: options.linger ?? false },
  );
}

async function storeIn(
  session: ReadStoreSession,
  record: InvocationRecord,
  logQuota: number | undefined,
): Promise<InvocationRecord> {
  const stored =
    logQuota === undefined
      ? record
      : {
          ...record,
          logs: await chargeLogs(session, record.projectId, record.startedAt, record.logs, logQuota),
        };
  await session.collection<InvocationRecord>(WORKER_INVOCATIONS).insert(stored);
  await recordDailyStats(session, stored);
  return stored;
}

export interface InvocationQuery {
  workerId?: string | undefined;
  outcome?: InvocationOutcome | undefined;
  trigger?: TriggerKind | undefined;
  /** Inclusive lower bound on `startedAt` (ISO 8601). */
  from?: string | undefined;
  /** Exclusive upper bound on `startedAt` (ISO 8601). */
  to?: string | undefined;
  /** Page size, 1–100 (default 50). */
  limit?: number | undefined;
  cursor?: string | null | undefined;
}

/** A project's invocation records, newest first, filtered; follow `nextCursor` for older ones. */
export async function queryInvocations(
  readStore: ReadStore,
  projectId: string,
  query: InvocationQuery,
): Promise<Page<InvocationRecord>> {
  const startedAt: { $gte?: string; $lt?: string } = {};
  if (query.from !== undefined) startedAt.$gte = query.from;
  if (query.to !== undefined) startedAt.$lt = query.to;
  return readStore.collection<InvocationRecord>(WORKER_INVOCATIONS).find(
    {
      projectId,
      ...(query.workerId === undefined ? {} : { workerId: query.workerId }),
      ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
      ...(query.trigger === undefined ? {} : { trigger: query.trigger }),
      ...(Object.keys(startedAt).length === 0 ? {} : { startedAt }),
    },
    {
      sort: { startedAt: -1 },
      limit: Math.min(100, Math.max(1, query.limit ?? 50)),
      cursor: query.cursor ?? null,
    },
  );
}

/** Records a resumed stream sends at most; a client away for longer reads the rest from the list route. */
export const MAX_RESUMED_RECORDS = 1000;

/**
 * The worker's records stored after the one with id `lastId`, in the order they were published: what a stream
 * that dropped after `lastId` missed. Empty when `lastId` is unknown, expired, another worker's, or older than
 * order keys.
 */
export async function invocationsAfter(
  readStore: ReadStore,
  workerId: string,
  lastId: string,
): Promise<InvocationRecord[]> {
  const records = readStore.collection<InvocationRecord>(WORKER_INVOCATIONS);
  const last = await records.get(lastId);
  if (!last || last.workerId !== workerId || typeof last.seq !== 'string') return [];
  const page = await records.find(
    { workerId, seq: { $gt: last.seq } },
    { sort: { seq: 1 }, limit: MAX_RESUMED_RECORDS },
  );
  return page.items;
}

/** Deletes invocation records that started before `now − retentionDays`. Returns how many went. */
export async function sweepInvocations(
  readStore: ReadStore,
  now: Date,
  retentionDays: number,
): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
  const deleted = await readStore.collection(WORKER_INVOCATIONS).deleteMany({ startedAt: { $lt: cutoff } });
  await sweepLogUsage(readStore, cutoff);
  return deleted;
}
