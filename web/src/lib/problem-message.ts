import type { TFunction } from 'i18next';
import { ApiError } from '@/api/problem';

/**
 * What to tell a person about a failed call: our own words for the codes we know (in their language); else the
 * API's `detail` when the UI speaks English like the API, or our words for the status otherwise; never JSON,
 * never a stack.
 */
export function problemMessage(t: TFunction, error: unknown): string {
  if (error instanceof ApiError) {
    const key = `errors.${error.code}`;
    if (t(key as never, { defaultValue: '' })) {
      return t(key as never, { seconds: error.retryAfterSeconds ?? 60 }) as string;
    }
    if (error.status >= 500 || error.status === 0) return t('errors.server');
    const english = t('errors.language') === 'en';
    if (error.detail && english) return error.detail;
    const byStatus = `errors.status.${error.status}`;
    if (t(byStatus as never, { defaultValue: '' })) return t(byStatus as never) as string;
    return error.detail ?? error.title;
  }
  return t('errors.unexpected');
}

/** A refusal that asking again will not change (the thing is gone, or not yours). */
export function isFinal(error: unknown): boolean {
  return error instanceof ApiError && error.status >= 400 && error.status < 500;
}
