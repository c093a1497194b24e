import { describe, expect, it } from 'vitest';
import { CronError, cronProblem, parseCron } from '../../application/runtime/cron.ts';

const at = (iso: string) => new Date(iso);
/** The next `count` ticks after `from`, as ISO strings. */
function ticks(expression: string, from: string, count: number): string[] {
  const schedule = parseCron(expression);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < count; i++) {
    const next = schedule.next(t);
    if (!next) break;
    out.push(next.toISOString());
    t = next;
  }
  return out;
}

describe('parseCron', () => {
  it('every minute', () => {
    expect(ticks('* * * * *', '2026-11-22T10:15:30.500Z', 3)).toEqual([
      '2026-11-22T10:16:00.000Z',
      '2026-11-22T10:17:00.000Z',
      '2026-11-22T10:18:00.000Z',
    ]);
    // strictly after: a whole minute is not its own next tick
    expect(ticks('* * * * *', '2026-11-22T10:15:00.000Z', 1)).toEqual(['2026-11-22T10:16:00.000Z']);
  });

  it('steps, ranges and lists', () => {
    expect(ticks('*/15 * * * *', '2026-11-22T10:07:00Z', 4)).toEqual([
      '2026-11-22T10:15:00.000Z',
      '2026-11-22T10:30:00.000Z',
      '2026-11-22T10:45:00.000Z',
      '2026-11-22T11:00:00.000Z',
    ]);
    expect(ticks('0 9-11 * * *', '2026-11-22T10:30:00Z', 3)).toEqual([
      '2026-11-22T11:00:00.000Z',
      '2026-11-23T09:00:00.000Z',
      '2026-11-23T10:00:00.000Z',
    ]);
    expect(ticks('5,35 1,13 * * *', '2026-11-22T00:00:00Z', 5)).toEqual([
      '2026-11-22T01:05:00.000Z',
      '2026-11-22T01:35:00.000Z',
      '2026-11-22T13:05:00.000Z',
      '2026-11-22T13:35:00.000Z',
      '2026-11-23T01:05:00.000Z',
    ]);
    expect(ticks('10-30/10 0 * * *', '2026-11-22T00:00:00Z', 4)).toEqual([
      '2026-11-22T00:10:00.000Z',
      '2026-11-22T00:20:00.000Z',
      '2026-11-22T00:30:00.000Z',
      '2026-11-23T00:10:00.000Z',
    ]);
    // a/n: from a to the end of the field
    expect(ticks('50/4 0 * * *', '2026-11-22T00:00:00Z', 3)).toEqual([
      '2026-11-22T00:50:00.000Z',
      '2026-11-22T00:54:00.000Z',
      '2026-11-22T00:58:00.000Z',
    ]);
  });

  it('days of the month, months and weekdays, with names', () => {
    // 2026-11-22 is a Sunday
    expect(ticks('0 12 * * MON-FRI', '2026-11-21T00:00:00Z', 3)).toEqual([
      '2026-11-23T12:00:00.000Z',
      '2026-11-24T12:00:00.000Z',
      '2026-11-25T12:00:00.000Z',
    ]);
    expect(ticks('0 0 * * 7', '2026-11-22T00:00:00Z', 1)).toEqual(['2026-11-29T00:00:00.000Z']);
    expect(ticks('0 0 * * sun', '2026-11-22T00:00:00Z', 1)).toEqual(['2026-11-29T00:00:00.000Z']);
    expect(ticks('0 0 31 * *', '2026-11-01T00:00:00Z', 3)).toEqual([
      '2026-12-31T00:00:00.000Z',
      '2027-01-31T00:00:00.000Z',
      '2027-03-31T00:00:00.000Z',
    ]);
    expect(ticks('0 0 1 jan,Jul *', '2026-11-22T00:00:00Z', 2)).toEqual([
      '2027-01-01T00:00:00.000Z',
      '2027-07-01T00:00:00.000Z',
    ]);
    expect(ticks('0 0 29 2 *', '2026-11-22T00:00:00Z', 2)).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2032-02-29T00:00:00.000Z',
    ]);
  });

  it('a restricted day of the month and weekday match either (Vixie cron)', () => {
    // the 1st of the month or any Friday
    expect(ticks('0 0 1 * FRI', '2026-11-22T00:00:00Z', 4)).toEqual([
      '2026-11-27T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
      '2026-12-04T00:00:00.000Z',
      '2026-12-11T00:00:00.000Z',
    ]);
    // `*/2` in one of them does not count as a restriction: both must hold
    expect(ticks('0 0 */2 * FRI', '2026-11-22T00:00:00Z', 2)).toEqual([
      '2026-11-27T00:00:00.000Z',
      '2026-12-11T00:00:00.000Z',
    ]);
  });

  it('macros', () => {
    expect(ticks('@hourly', '2026-11-22T10:15:00Z', 1)).toEqual(['2026-11-22T11:00:00.000Z']);
    expect(ticks('@daily', '2026-11-22T10:15:00Z', 1)).toEqual(['2026-11-23T00:00:00.000Z']);
    expect(ticks('@weekly', '2026-11-22T10:15:00Z', 1)).toEqual(['2026-11-29T00:00:00.000Z']);
    expect(ticks('@monthly', '2026-11-22T10:15:00Z', 1)).toEqual(['2026-12-01T00:00:00.000Z']);
    expect(ticks('@YEARLY', '2026-11-22T10:15:00Z', 1)).toEqual(['2027-01-01T00:00:00.000Z']);
  });

  it('matches() looks at the minute, in UTC', () => {
    const schedule = parseCron('30 14 * * *');
    expect(schedule.matches(at('2026-11-22T14:30:59.999Z'))).toBe(true);
    expect(schedule.matches(at('2026-11-22T14:31:00.000Z'))).toBe(false);
    expect(schedule.matches(at('2026-11-22T15:30:00.000+01:00'))).toBe(true);
    expect(parseCron('  */5  *  * * *  ').expression).toBe('*/5  *  * * *');
  });

  it.each([
    ['', 'A cron expression must not be empty.'],
    [
      '* * * *',
      'A cron expression has 5 fields (minute hour day-of-month month day-of-week), "* * * *" has 4.',
    ],
    ['* * * * * *', 'has 6'],
    ['60 * * * *', 'The minute field "60": a value is outside 0–59.'],
    ['* 24 * * *', 'The hour field "24": a value is outside 0–23.'],
    ['* * 0 * *', 'The day of month field "0": a value is outside 1–31.'],
    ['* * * 13 *', 'The month field "13": a value is outside 1–12 or JAN–DEC.'],
    ['* * * * 8', 'The day of week field "8": a value is outside 0–7 or SUN–SAT.'],
    ['* * * FOO *', 'The month field "FOO": "FOO" is not made of numbers from 1–12 or JAN–DEC.'],
    ['*/0 * * * *', 'The minute field "*/0": the step must be a whole number from 1 to 59.'],
    ['*/x * * * *', 'The minute field "*/x"'],
    ['1/2/3 * * * *', 'The minute field "1/2/3"'],
    ['30-10 * * * *', 'The minute field "30-10": the range must go upwards.'],
    ['1-2-3 * * * *', 'The minute field "1-2-3"'],
    ['1,,2 * * * *', 'The minute field "1,,2": it has an empty list item.'],
    ['-1 * * * *', 'The minute field "-1"'],
    ['1.5 * * * *', 'The minute field "1.5"'],
    ['@every5m', 'Unknown cron macro "@every5m"'],
    ['0 0 30 2 *', '"0 0 30 2 *" never matches: no date has it.'],
    ['0 0 31 4,6,9,11 *', 'never matches'],
  ])('refuses %j with a clear message', (expression, message) => {
    expect(() => parseCron(expression)).toThrow(CronError);
    expect(() => parseCron(expression)).toThrow(message);
    expect(cronProblem(expression)).toContain(message);
  });

  it("croner's extensions: the last day of the month, the nth weekday", () => {
    expect(ticks('0 0 L * *', '2026-11-22T00:00:00Z', 2)).toEqual([
      '2026-11-30T00:00:00.000Z',
      '2026-12-31T00:00:00.000Z',
    ]);
    expect(ticks('0 9 * * 1#1', '2026-11-22T00:00:00Z', 2)).toEqual([
      '2026-12-07T09:00:00.000Z',
      '2027-01-04T09:00:00.000Z',
    ]);
  });

  it('cronProblem is null for a valid expression', () => {
    expect(cronProblem('0 0 31 1-12 *')).toBeNull();
    expect(cronProblem('@midnight')).toBeNull();
  });
});
