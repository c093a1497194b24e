import { useTranslation } from 'react-i18next';

/** Numbers and dates through Intl in the chosen language (never the browser's default). */
export function useFormat() {
  const { i18n } = useTranslation();
  const locale = i18n.language;
  return {
    number: (n: number) => new Intl.NumberFormat(locale).format(n),
    /** A duration in milliseconds: whole above 10 ms, one decimal below (timers measure microseconds). */
    ms: (n: number) => new Intl.NumberFormat(locale, { maximumFractionDigits: n < 10 ? 1 : 0 }).format(n),
    compact: (n: number) => new Intl.NumberFormat(locale, { notation: 'compact' }).format(n),
    date: (iso: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(iso)),
    dateTime: (iso: string) =>
      new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)),
    /** A UTC day (`2026-11-22`) as the day it names, not shifted by the browser's time zone. */
    day: (day: string, style: 'short' | 'long' = 'short') =>
      new Intl.DateTimeFormat(locale, {
        timeZone: 'UTC',
        ...(style === 'short' ? { day: 'numeric', month: 'short' } : { dateStyle: 'medium' }),
      }).format(new Date(`${day}T00:00:00Z`)),
  };
}
