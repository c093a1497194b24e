import type { TFunction } from 'i18next';
import { ApiError, type FieldError } from '@/api/problem';

/** The UI speaks the API's language (English): the API's own words are then the most specific ones. */
function speaksEnglish(t: TFunction): boolean {
  return t('errors.language') === 'en';
}

/**
 * Our words for an error code: the curated ones (`errors.<code>`, preferred in every language), else the
 * catalogue's translation (`problems.<code>`, one for every code with an HTTP status); null when we have none.
 */
function ourWords(t: TFunction, code: string, curatedOnly: boolean, seconds?: number): string | null {
  const keys = curatedOnly ? [`errors.${code}`] : [`errors.${code}`, `problems.${code}`];
  for (const key of keys) {
    if (t(key as never, { defaultValue: '' })) return t(key as never, { seconds: seconds ?? 60 }) as string;
  }
  return null;
}

/**
 * What to show for one field the API refused (problem+json `errors[]`): in English the API's own message (it
 * names the value or the limit); in another language our translation of its rule code, else the API's message
 * (a schema check has no code; the forms' own validation catches most of those before sending).
 */
export function fieldMessage(t: TFunction, error: FieldError): string {
  if (speaksEnglish(t) || !error.code) return error.message;
  return ourWords(t, error.code, false) ?? error.message;
}

/**
 * What to tell a person about a failed call, never JSON, never a stack. Our own curated words for the codes we
 * know first. Then, in English, the API's `detail` (our catalogue words or a status text when it has none); in
 * another language our translation of the code (every catalogue code with an HTTP status has one; a
 * `validation_failed` says which rule of which field), else words for the status.
 */
export function problemMessage(t: TFunction, error: unknown): string {
  if (!(error instanceof ApiError)) return t('errors.unexpected');
  const curated = ourWords(t, error.code, true, error.retryAfterSeconds);
  if (curated) return curated;
  const serverSide = error.status >= 500 || error.status === 0;
  if (speaksEnglish(t)) {
    if (serverSide) return t('errors.server');
    if (error.detail) return error.detail;
  } else {
    const field = error.code === 'validation_failed' ? error.errors.find((e) => e.code) : undefined;
    if (field?.code && ourWords(t, field.code, false)) return fieldMessage(t, field);
  }
  const words = ourWords(t, error.code, false, error.retryAfterSeconds);
  if (words) return words;
  if (serverSide) return t('errors.server');
  const byStatus = `errors.status.${error.status}`;
  if (t(byStatus as never, { defaultValue: '' })) return t(byStatus as never) as string;
  return speaksEnglish(t) ? error.title : t('errors.unexpected');
}

/** A refusal that asking again will not change (the thing is gone, or not yours). */
export function isFinal(error: unknown): boolean {
  return error instanceof ApiError && error.status >= 400 && error.status < 500;
}
