import { dayRange } from '../dayRange.ts';
import { findAll } from '../ports/findAll.ts';
import type { ReadStoreSession } from '../ports/readStore.ts';
import { WORKER_STATS_DAILY } from '../workers/readModel.ts';
import { mergeInBatch } from './writeBatch.ts';

/**
 * Per worker and UTC day: invocations, errors (every outcome but `ok`), and a log-scale histogram of durations
 * from which p50 and p95 are read. Bucket `i` holds durations in [2^(i/4), 2^((i+1)/4)) ms: four buckets per
 * doubling, so a percentile is reported as its bucket's geometric middle, within ±9.1 % of the true value.
 * Buckets span 2^-10 ms (1 µs) to 2^20 ms (17 minutes); anything outside is counted in the edge bucket. A day
 * holds at most 121 buckets whatever the traffic, so statistics never grow with the number of invocations.
 */

export const BUCKETS_PER_DOUBLING = 4;
const MIN_BUCKET = -10 * BUCKETS_PER_DOUBLING;
const MAX_BUCKET = 20 * BUCKETS_PER_DOUBLING;
/** Relative error bound of a reported percentile: half a bucket, geometrically. */
export const PERCENTILE_PRECISION = 2 ** (1 / (2 * BUCKETS_PER_DOUBLING)) - 1;

export interface WorkerDailyDoc {
  id: string;
  workerId: string;
  projectId: string;
  day: string;
  invocations: number;
  errors: number;
  totalMs: number;
  /** `b<offset>` → count, offset = bucket − MIN_BUCKET (≥ 0, so keys are plain identifiers). */
  hist: Record<string, number>;
  [field: string]: unknown;
}

export function bucketOf(durationMs: number): number {
  if (!(durationMs > 0)) return MIN_BUCKET;
  const index = Math.floor(Math.log2(durationMs) * BUCKETS_PER_DOUBLING);
  return Math.min(MAX_BUCKET, Math.max(MIN_BUCKET, index));
}

const bucketKey = (bucket: number) => `b${bucket - MIN_BUCKET}`;
const bucketMiddle = (bucket: number) => 2 ** ((bucket + 0.5) / BUCKETS_PER_DOUBLING);

export const dailyStatsId = (workerId: string, day: string) => `${workerId}:${day}`;

/**
 * Adds one invocation to its worker's day (upsert + `$inc`: concurrent invocations never lose a count). In a batch
 * of runtime writes (`writeBatch.ts`) the records of one worker and day are added up and written once, as the
 * batch commits.
 */
export async function recordDailyStats(
  store: ReadStoreSession,
  record: { workerId: string; projectId: string; startedAt: string; durationMs: number; outcome: string },
): Promise<void> {
  const day = record.startedAt.slice(0, 10);
  const id = dailyStatsId(record.workerId, day);
  const bucket = `hist.${bucketKey(bucketOf(record.durationMs))}`;
  await mergeInBatch<Record<string, number>>(store, `stats:${id}`, {
    initial: () => ({ invocations: 0, errors: 0, totalMs: 0 }),
    add: (inc) => {
      inc.invocations! += 1;
      inc.errors! += record.outcome === 'ok' ? 0 : 1;
      inc.totalMs! += record.durationMs;
      inc[bucket] = (inc[bucket] ?? 0) + 1;
      return inc;
    },
    write: async (session, inc) => {
      await session
        .collection<WorkerDailyDoc>(WORKER_STATS_DAILY)
        .patch(
          id,
          { $set: { workerId: record.workerId, projectId: record.projectId, day }, $inc: inc },
          { upsert: true },
        );
    },
  });
}

/** The `p` quantile (0 < p ≤ 1) of a histogram, in ms, rounded to 0.001; `null` when empty. */
export function percentile(hist: Record<string, number>, p: number): number | null {
  const buckets = Object.entries(hist)
    .map(([key, count]) => ({ bucket: Number(key.slice(1)) + MIN_BUCKET, count }))
    .filter((b) => Number.isFinite(b.bucket) && b.count > 0)
    .sort((a, b) => a.bucket - b.bucket);
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const { bucket, count } of buckets) {
    seen += count;
    if (seen >= rank) return Math.round(bucketMiddle(bucket) * 1000) / 1000;
  }
  return null;
}

function mergeHistograms(hists: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const hist of hists) for (const [k, v] of Object.entries(hist)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export interface DayStats {
  day: string;
  invocations: number;
  errors: number;
  /** `null` on a day without invocations. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface WorkerStats {
  workerId: string;
  from: string;
  to: string;
  /** The whole range: counts summed, percentiles over the merged histograms. */
  total: Omit<DayStats, 'day'>;
  days: DayStats[];
}

/** Days `from`…`to` (inclusive, UTC; default the last 30 days up to today), at most 366; missing days as 0. */
export async function readWorkerStats(
  store: ReadStoreSession,
  workerId: string,
  today: Date,
  range: { from?: string | undefined; to?: string | undefined },
): Promise<WorkerStats> {
  const { from, to, days: dayList } = dayRange(range, today);
  const rows = await findAll(store.collection<WorkerDailyDoc>(WORKER_STATS_DAILY), {
    workerId,
    day: { $gte: from, $lte: to },
  });
  const byDay = new Map(rows.map((row) => [row.day, row]));
  const days = dayList.map((day): DayStats => {
    const row = byDay.get(day);
    const hist = row?.hist ?? {};
    return {
      day,
      invocations: row?.invocations ?? 0,
      errors: row?.errors ?? 0,
      p50Ms: percentile(hist, 0.5),
      p95Ms: percentile(hist, 0.95),
    };
  });
  const merged = mergeHistograms(rows.map((row) => row.hist ?? {}));
  return {
    workerId,
    from,
    to,
    total: {
      invocations: days.reduce((n, d) => n + d.invocations, 0),
      errors: days.reduce((n, d) => n + d.errors, 0),
      p50Ms: percentile(merged, 0.5),
      p95Ms: percentile(merged, 0.95),
    },
    days,
  };
}
