import { Cron } from 'croner';

/**
 * Cron expressions for scheduled workers: the classic five fields, evaluated in UTC, read and stepped through by
 * `croner` (ADR 9).
 *
 *   ┌ minute        0–59
 *   │ ┌ hour        0–23
 *   │ │ ┌ day       1–31
 *   │ │ │ ┌ month   1–12 or JAN–DEC
 *   │ │ │ │ ┌ weekday 0–7 or SUN–SAT (0 and 7 are Sunday)
 *   * * * * *
 *
 * Each field is `*`, a value, a range `a-b`, a step `*\/n`, `a-b/n` or `a/n` (from a to the end), or a
 * comma-separated list of those; croner adds `L` (last day of the month, `5L` the last Friday), `W` (nearest
 * weekday) and `#` (`5#2`, the second Friday). `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily`
 * (`@midnight`) and `@hourly` stand for their usual expansions. As in Vixie cron, when both the day of the month
 * and the weekday are restricted (neither starts with `*`), a day matches when either does; when one of them is a
 * `*`-step (`*\/2`), both must hold.
 */

export class CronError extends Error {
  override name = 'CronError';
}

export interface CronSchedule {
  /** The expression as given (trimmed). */
  readonly expression: string;
  /** Whether the minute containing `date` (UTC) is a tick. */
  matches(date: Date): boolean;
  /** The first tick strictly after `after` (UTC, at a whole minute), or `null` when there is none. */
  next(after: Date): Date | null;
}

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string;
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: 'JAN–DEC' },
  { name: 'day of week', min: 0, max: 7, names: 'SUN–SAT' },
];

const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const MAX_EXPRESSION_LENGTH = 200;
const MINUTE_MS = 60_000;

const croner = (pattern: string) =>
  new Cron(pattern, { timezone: 'Etc/UTC', mode: '5-part', sloppyRanges: true, domAndDow: false });

/** Parses an expression, or throws a `CronError` saying which field is wrong and why. */
export function parseCron(expression: string): CronSchedule {
  if (typeof expression !== 'string') throw new CronError('A cron expression must be a string.');
  const trimmed = expression.trim();
  if (trimmed.length === 0) throw new CronError('A cron expression must not be empty.');
  if (trimmed.length > MAX_EXPRESSION_LENGTH) {
    throw new CronError(`A cron expression is at most ${MAX_EXPRESSION_LENGTH} characters.`);
  }
  let pattern = trimmed;
  if (trimmed.startsWith('@')) {
    if (!MACROS.includes(trimmed.toLowerCase())) {
      throw new CronError(`Unknown cron macro "${trimmed}" (known: ${MACROS.join(', ')}).`);
    }
  } else {
    const parts = trimmed.split(/\s+/);
    if (parts.length !== 5) {
      throw new CronError(
        `A cron expression has 5 fields (minute hour day-of-month month day-of-week), "${trimmed}" has ${parts.length}.`,
      );
    }
    pattern = vixieDays(parts).join(' ');
  }
  let cron: Cron;
  try {
    cron = croner(pattern);
  } catch (err) {
    throw new CronError(explain(trimmed, err));
  }
  if (cron.nextRun(new Date()) === null) throw new CronError(`"${trimmed}" never matches: no date has it.`);

  return {
    expression: trimmed,
    matches: (date) => cron.match(new Date(Math.floor(date.getTime() / MINUTE_MS) * MINUTE_MS)),
    next: (after) => cron.nextRun(after),
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

/**
 * Vixie cron's day rule in croner's terms: croner ORs a restricted day of month and weekday unless either is
 * exactly `*`; Vixie ANDs them as soon as either starts with `*` (`*\/2`). A `+` before the weekday asks croner
 * for AND.
 */
function vixieDays(parts: string[]): string[] {
  const [dom, dow] = [parts[2]!, parts[4]!];
  if (dom === '*' || dow === '*' || !(dom.startsWith('*') || dow.startsWith('*'))) return parts;
  return [...parts.slice(0, 4), `+${dow}`];
}

/** croner's reason, with the field at fault named as m3m names it (found by reading each field alone). */
function explain(expression: string, err: unknown): string {
  const reason = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern:\s*/, '');
  if (expression.startsWith('@')) return `"${expression}": ${reason}`;
  const parts = expression.split(/\s+/);
  for (const [i, field] of FIELDS.entries()) {
    const alone = FIELDS.map((_, j) => (j === i ? parts[i]! : '*')).join(' ');
    try {
      croner(alone);
    } catch (fieldErr) {
      return `The ${field.name} field "${parts[i]}": ${fieldReason(field, parts[i]!, fieldErr)}.`;
    }
  }
  return `"${expression}": ${reason}`;
}

function fieldReason(field: Field, text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const range = `${field.min}–${field.max}${field.names ? ` or ${field.names}` : ''}`;
  if (/Invalid value for/.test(message)) return `a value is outside ${range}`;
  if (/illegal characters|is not a number|NaN/.test(message))
    return `"${text}" is not made of numbers from ${range}`;
  if (/larger than to value/.test(message)) return 'the range must go upwards';
  if (/stepping|steps/.test(message)) return `the step must be a whole number from 1 to ${field.max}`;
  if (/is empty/.test(message)) return 'it has an empty list item';
  return message.replace(/^CronPattern:\s*/, '');
}
