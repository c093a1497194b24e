import { describe, expect, it } from 'vitest';
import en from '@/i18n/en.json';
import ru from '@/i18n/ru.json';

// Plural forms differ by language (English: one, other; Russian: one, few, many, other): `days_few` counts as `days`.
const PLURAL = /_(zero|one|two|few|many|other)$/;

function keys(tree: unknown, prefix = ''): string[] {
  if (typeof tree !== 'object' || tree === null) return [prefix.replace(PLURAL, '')];
  return [...new Set(Object.entries(tree).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k)))];
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!).sort();
}

function leaves(tree: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (node: unknown, prefix: string) => {
    if (typeof node !== 'object' || node === null) return void out.set(prefix, node);
    for (const [k, v] of Object.entries(node)) walk(v, prefix ? `${prefix}.${k}` : k);
  };
  walk(tree, '');
  return out;
}

describe('the English and Russian resources', () => {
  it('have the same keys', () => {
    const enKeys = keys(en).sort();
    const ruKeys = keys(ru).sort();
    expect(
      ruKeys.filter((k) => !enKeys.includes(k)),
      'only in ru.json',
    ).toEqual([]);
    expect(
      enKeys.filter((k) => !ruKeys.includes(k)),
      'only in en.json',
    ).toEqual([]);
  });

  it('have a non-empty string for every key, with the same {{placeholders}}', () => {
    const ruLeaves = leaves(ru);
    expect(leaves(en).size).toBeGreaterThan(300);
    for (const [key, value] of leaves(en)) {
      // A plural is compared with Russian's `other` form.
      const other = ruLeaves.get(key) ?? ruLeaves.get(key.replace(PLURAL, '_other'));
      expect(typeof value, key).toBe('string');
      expect(typeof other, key).toBe('string');
      expect((value as string).trim(), key).not.toBe('');
      expect((other as string).trim(), key).not.toBe('');
      expect(placeholders(other as string), key).toEqual(placeholders(value as string));
    }
  });
});
