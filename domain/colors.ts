/**
 * The fixed palette projects and goals pick their colour from (or `null`: no colour). The API serves it
 * (`GET /api/v1/colors`) so the UI shows exactly these; the hex values are Tailwind's 500 shades.
 */
export const COLORS = [
  { name: 'red', hex: '#ef4444' },
  { name: 'orange', hex: '#f97316' },
  { name: 'amber', hex: '#f59e0b' },
  { name: 'yellow', hex: '#eab308' },
  { name: 'lime', hex: '#84cc16' },
  { name: 'green', hex: '#22c55e' },
  { name: 'emerald', hex: '#10b981' },
  { name: 'teal', hex: '#14b8a6' },
  { name: 'cyan', hex: '#06b6d4' },
  { name: 'sky', hex: '#0ea5e9' },
  { name: 'blue', hex: '#3b82f6' },
  { name: 'indigo', hex: '#6366f1' },
  { name: 'violet', hex: '#8b5cf6' },
  { name: 'purple', hex: '#a855f7' },
  { name: 'fuchsia', hex: '#d946ef' },
  { name: 'pink', hex: '#ec4899' },
] as const;

export type ColorName = (typeof COLORS)[number]['name'];
/** `null` means "no colour". */
export type Color = ColorName | null;

export const COLOR_NAMES = COLORS.map((c) => c.name) as unknown as readonly [ColorName, ...ColorName[]];

export function isColor(value: unknown): value is Color {
  return value === null || (typeof value === 'string' && (COLOR_NAMES as readonly string[]).includes(value));
}
