/**
 * Cron expressions for scheduled workers: the classic five fields, evaluated in UTC.
 *
 *   ┌ minute        0–59
 *   │ ┌ hour        0–23
 *   │ │ ┌ day       1–31
 *   │ │ │ ┌ month   1–12 or JAN–DEC
 *   │ │ │ │ ┌ weekday 0–7 or SUN–SAT (0 and 7 are Sunday)
 *   * * * * *
 *
 * Each field is `*`, a value, a range `a-b`, a step `*\/n`, `a-b/n` or `a/n` (from a to the end), or a
 * comma-separated list of those. `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`)
 * and `@hourly` stand for their usual expansions. As in Vixie cron, when both the day of the month and the
 * weekday are restricted (neither starts with `*`), a day matches when either does.
 */

export class CronError extends Error {
  override name = 'CronError';
}

export interface CronSchedule {
  /** The expression as given (trimmed). */
  readonly expression: string;
  /** Whether the minute containing `date` (UTC) is a tick. */
  matches(date: Date): boolean;
  /** The first tick strictly after `after` (UTC, at a whole minute), or `null` when there is none within 50 years. */
  next(after: Date): Date | null;
}

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MAX_EXPRESSION_LENGTH = 200;
const SEARCH_YEARS = 50;
const MINUTE_MS = 60_000;
/** The largest day each month can have (February: 29, in leap years). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parses an expression, or throws a `CronError` saying which field is wrong and why. */
export function parseCron(expression: string): CronSchedule {
  if (typeof expression !== 'string') throw new CronError('A cron expression must be a string.');
  const trimmed = expression.trim();
  if (trimmed.length === 0) throw new CronError('A cron expression must not be empty.');
  if (trimmed.length > MAX_EXPRESSION_LENGTH) {
    throw new CronError(`A cron expression is at most ${MAX_EXPRESSION_LENGTH} characters.`);
  }
  let body = trimmed;
  if (trimmed.startsWith('@')) {
    const macro = MACROS[trimmed.toLowerCase()];
    if (!macro) {
      throw new CronError(`Unknown cron macro "${trimmed}" (known: ${Object.keys(MACROS).join(', ')}).`);
    }
    body = macro;
  }
  const parts = body.split(/\s+/);
  if (parts.length !== 5) {
    throw new CronError(
      `A cron expression has 5 fields (minute hour day-of-month month day-of-week), "${trimmed}" has ${parts.length}.`,
    );
  }
  const sets = parts.map((part, i) => parseField(part, FIELDS[i]!));
  const [minutes, hours, days, months, weekdays] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (weekdays.has(7)) {
    weekdays.delete(7);
    weekdays.add(0);
  }
  // Vixie cron's rule: a field starting with `*` (`*`, `*/2`) does not restrict the day.
  const dayRestricted = !parts[2]!.startsWith('*');
  const weekdayRestricted = !parts[4]!.startsWith('*');
  if (
    dayRestricted &&
    !weekdayRestricted &&
    ![...months].some((m) => [...days].some((d) => d <= MONTH_DAYS[m - 1]!))
  ) {
    throw new CronError(`"${trimmed}" never matches: none of its months has such a day.`);
  }

  const dayMatches = (date: Date): boolean => {
    const inMonth = days.has(date.getUTCDate());
    const inWeek = weekdays.has(date.getUTCDay());
    if (dayRestricted && weekdayRestricted) return inMonth || inWeek;
    return inMonth && inWeek;
  };
  const matches = (date: Date): boolean =>
    minutes.has(date.getUTCMinutes()) &&
    hours.has(date.getUTCHours()) &&
    months.has(date.getUTCMonth() + 1) &&
    dayMatches(date);

  return {
    expression: trimmed,
    matches,
    next(after: Date): Date | null {
      // Walk forward, skipping a whole month, day or hour whenever that unit cannot match.
      const t = new Date(Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
      const limit = Date.UTC(after.getUTCFullYear() + SEARCH_YEARS, 0, 1);
      while (t.getTime() < limit) {
        if (!months.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!dayMatches(t)) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
          continue;
        }
        if (!minutes.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
          continue;
        }
        return t;
      }
      return null;
    },
  };
}

/** `null` when the expression is valid, else the reason: for validating input without a try. */
export function cronProblem(expression: string): string | null {
  try {
    parseCron(expression);
    return null;
  } catch (err) {
    if (err instanceof CronError) return err.message;
    throw err;
  }
}

function parseField(text: string, field: Field): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new CronError(`The ${field.name} field "${text}" has an empty list item.`);
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined) throw new CronError(`The ${field.name} field "${item}" has more than one "/".`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1 || Number(stepText) > field.max) {
        throw new CronError(
          `The ${field.name} field "${item}": the step must be a whole number from 1 to ${field.max}.`,
        );
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = field.min;
      to = field.max;
    } else {
      const bounds = range!.split('-');
      if (bounds.length > 2) throw new CronError(`The ${field.name} field "${item}" is not a valid range.`);
      from = value(bounds[0]!, field, item);
      // `a/n` runs from a to the end of the field, as in Vixie cron.
      to = bounds.length === 2 ? value(bounds[1]!, field, item) : stepText !== undefined ? field.max : from;
      if (from > to) {
        throw new CronError(
          `The ${field.name} field "${item}": the range must go upwards (${from} > ${to}).`,
        );
      }
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function value(text: string, field: Field, item: string): number {
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index >= 0) return index + (field.name === 'month' ? 1 : 0);
  if (!/^\d{1,2}$/.test(text)) {
    const names = field.names ? ` or ${field.names[0]}–${field.names.at(-1)}` : '';
    throw new CronError(
      `The ${field.name} field "${item}": "${text}" is not a number from ${field.min} to ${field.max}${names}.`,
    );
  }
  const n = Number(text);
  if (n < field.min || n > field.max) {
    throw new CronError(`The ${field.name} field "${item}": ${n} is outside ${field.min}–${field.max}.`);
  }
  return n;
}
