/**
 * Client-side checks mirror the API's rules so a form refuses before sending; the API stays the judge (its
 * problem+json field errors land on the same fields). Messages come from the caller, already translated.
 */
import { z } from 'zod';

export const PASSWORD_MIN_BYTES = 10;
export const PASSWORD_MAX_BYTES = 72;
export const NAME_MAX = 100;

export function passwordSchema(messages: { rule: string }) {
  return z.string().refine((value) => {
    const bytes = new TextEncoder().encode(value).length;
    return (
      bytes >= PASSWORD_MIN_BYTES &&
      bytes <= PASSWORD_MAX_BYTES &&
      /\p{L}/u.test(value) &&
      /\p{Nd}/u.test(value)
    );
  }, messages.rule);
}

export function nameSchema(messages: { required: string; tooLong: string }) {
  return z.string().trim().min(1, messages.required).max(NAME_MAX, messages.tooLong);
}

export const PROJECT_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;
export const GOAL_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9_]{0,46}[a-z0-9])?$/;

/**
 * `My Shop!` → `my-shop` (projects) or `my_shop` (goals, which take `_`): what the forms suggest as a slug.
 * Letters without a Latin form (Cyrillic…) are dropped; the person edits the suggestion then.
 */
export function slugify(text: string, separator: '-' | '_' = '-'): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, separator)
    .slice(0, 48)
    .replace(/^[-_]+|[-_]+$/g, '');
}
