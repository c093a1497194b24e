import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '@/api/problem';
import { fieldMessage, problemMessage } from '@/lib/problem-message';
import { useCronPreview } from './queries';

const DEBOUNCE_MS = 300;

/** The next five runs of an expression in UTC and in the browser's zone, or the parser's own error. */
export function CronPreview({ expression }: { expression: string }) {
  const { t, i18n } = useTranslation();
  const [asked, setAsked] = useState(expression.trim());
  useEffect(() => {
    const timer = setTimeout(() => setAsked(expression.trim()), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [expression]);
  const preview = useCronPreview(asked);
  if (!asked) return null;
  if (preview.isError) {
    const { error } = preview;
    const message = !(error instanceof ApiError)
      ? t('workers.triggers.cronInvalid')
      : error.errors[0]
        ? fieldMessage(t, error.errors[0])
        : problemMessage(t, error);
    return (
      <p className="text-sm text-destructive" role="alert" data-testid="cron-error">
        {message}
      </p>
    );
  }
  if (!preview.data) return null;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const utc = new Intl.DateTimeFormat(i18n.language, {
    timeZone: 'UTC',
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  const local = new Intl.DateTimeFormat(i18n.language, {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  return (
    <div className="overflow-x-auto rounded-lg border" data-testid="cron-preview">
      <table className="w-full text-sm">
        <thead className="bg-muted/50 text-left text-xs text-muted-foreground">
          <tr>
            <th className="px-3 py-1.5 font-medium">{t('workers.triggers.nextRuns')} · UTC</th>
            <th className="px-3 py-1.5 font-medium">{t('workers.triggers.localTime', { zone })}</th>
          </tr>
        </thead>
        <tbody>
          {preview.data.next.map((at) => (
            <tr key={at} className="border-t">
              <td className="px-3 py-1.5 font-mono text-xs whitespace-nowrap">{utc.format(new Date(at))}</td>
              <td className="px-3 py-1.5 font-mono text-xs whitespace-nowrap">
                {local.format(new Date(at))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
