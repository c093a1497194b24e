/** The goal page's range lives in the URL (`?days=90`, or `?from=…&to=…`), so a link shows the same chart. */
export const RANGES = [7, 30, 90, 365] as const;

export interface GoalSearch {
  days?: number;
  from?: string;
  to?: string;
}

export function validateGoalSearch(search: Record<string, unknown>): GoalSearch {
  const days = Number(search.days);
  const day = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined);
  const from = day(search.from);
  const to = day(search.to);
  return {
    ...(RANGES.includes(days as (typeof RANGES)[number]) ? { days } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
}
