import { describe, expect, it } from 'vitest';
import { COLOR_NAMES, COLORS, isColor } from '../../domain/colors.ts';

describe('colors', () => {
  it('is a palette of 16 named hex colours with unique names', () => {
    expect(COLORS).toHaveLength(16);
    expect(new Set(COLOR_NAMES).size).toBe(16);
    for (const c of COLORS) expect(c.hex).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('takes a palette name or null (no colour), nothing else', () => {
    expect(isColor('teal')).toBe(true);
    expect(isColor(null)).toBe(true);
    for (const bad of ['Teal', 'grey', '', undefined, 3, '#14b8a6'])
      expect(isColor(bad), String(bad)).toBe(false);
  });
});
