import type { TFunction } from 'i18next';
import { ApiError } from '@/api/problem';

/**
 * What to tell a person about a failed call: our own words for the codes we know (in their language), else
 * the API's `detail`, else its title. Never JSON, never a stack.
 */
export function problemMessage(t: TFunction, error: unknown): string {
  if (error instanceof ApiError) {
    const key = `errors.${error.code}`;
    if (t(key as never, { defaultValue: '' })) {
      return t(key as never, { seconds: error.retryAfterSeconds ?? 60 }) as string;
    }
    if (error.detail) return error.detail;
    if (error.status >= 500) return t('errors.server');
    return error.title;
  }
  return t('errors.unexpected');
}
