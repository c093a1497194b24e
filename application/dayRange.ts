import { refuse } from './errors.ts';

/** Longest range of days a statistics query may ask for. */
export const MAX_STATS_DAYS = 366;
const DEFAULT_STATS_DAYS = 30;
const DAY_MS = 86_400_000;

/** An inclusive range of UTC days, as `YYYY-MM-DD` strings, in order. */
export interface DayRange {
  from: string;
  to: string;
  days: string[];
}

function parseDay(value: string, field: string): number {
  const ms = Date.parse(`${value}T00:00:00.000Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(ms) ||
    new Date(ms).toISOString().slice(0, 10) !== value
  ) {
    throw refuse('invalid_date', 'A date is YYYY-MM-DD (UTC).', field);
  }
  return ms;
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The days a statistics query covers: `from`…`to` inclusive (UTC), by default the last 30 days up to `today`;
 * refuses a malformed date, a reversed range or one longer than `MAX_STATS_DAYS`, naming the field.
 */
export function dayRange(
  range: { from?: string | undefined; to?: string | undefined },
  today: Date,
): DayRange {
  const todayMs = Date.parse(`${iso(today.getTime())}T00:00:00.000Z`);
  const to = range.to !== undefined ? parseDay(range.to, 'to') : null;
  const from = range.from !== undefined ? parseDay(range.from, 'from') : null;
  const end = to ?? (from !== null ? Math.max(from, todayMs) : todayMs);
  const start = from ?? end - (DEFAULT_STATS_DAYS - 1) * DAY_MS;
  if (start > end) throw refuse('invalid_range', '"from" is after "to".', 'from');
  const count = (end - start) / DAY_MS + 1;
  if (count > MAX_STATS_DAYS) {
    throw refuse('range_too_long', `A range spans at most ${MAX_STATS_DAYS} days.`, 'to');
  }
  const days = Array.from({ length: count }, (_, i) => iso(start + i * DAY_MS));
  return { from: days[0]!, to: days.at(-1)!, days };
}
