/** Names the editor offers inside the string argument of a Runtime API call, with the detail shown beside them. */
export interface StringCompletions {
  envNames: string[];
  goalSlugs: string[];
  envDetail: string;
  goalDetail: string;
}

export type StringArgumentKind = 'envNames' | 'goalSlugs';

/** The calls whose first argument names something of the project, as far as the cursor: the open quote and what follows it. */
const CALLS: { pattern: RegExp; kind: StringArgumentKind }[] = [
  { pattern: /\bm3m\s*\.\s*env\s*\.\s*get\s*\(\s*["'`]([\w.-]*)$/, kind: 'envNames' },
  { pattern: /\bm3m\s*\.\s*goals\s*\.\s*increment\s*\(\s*["'`]([\w.-]*)$/, kind: 'goalSlugs' },
];

/** Which names belong at the end of `linePrefix` (the line up to the cursor), and what is typed of one so far. */
export function stringArgumentAt(linePrefix: string): { kind: StringArgumentKind; typed: string } | null {
  for (const { pattern, kind } of CALLS) {
    const match = pattern.exec(linePrefix);
    if (match) return { kind, typed: match[1] ?? '' };
  }
  return null;
}
