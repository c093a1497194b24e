import { Inbox } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '@/components/empty-state';
import { JsonBlock } from '@/components/json-block';

export { JsonBlock };

import { Badge } from '@/components/ui/badge';
import { cn } from '@/lib/utils';
import type { Invocation, Outcome } from './queries';

type LogLine = Invocation['logs'][number];

export function OutcomeBadge({ outcome }: { outcome: Outcome }) {
  const { t } = useTranslation();
  return (
    <Badge
      variant="outline"
      data-testid="outcome"
      data-outcome={outcome}
      className={cn(
        outcome === 'ok'
          ? 'border-emerald-500/40 text-emerald-700 dark:text-emerald-400'
          : 'border-destructive/40 text-destructive',
      )}
    >
      {t(`workers.outcome.${outcome}`)}
    </Badge>
  );
}

const LEVEL_STYLE: Record<LogLine['level'], string> = {
  debug: 'text-muted-foreground',
  info: 'text-sky-700 dark:text-sky-400',
  warn: 'text-amber-700 dark:text-amber-400',
  error: 'text-destructive',
};

export function LogLines({ logs }: { logs: readonly LogLine[] }) {
  const { t } = useTranslation();
  if (logs.length === 0) return <p className="text-sm text-muted-foreground">{t('workers.run.noLogs')}</p>;
  return (
    <ol className="grid gap-0.5 rounded-lg border bg-muted/30 p-3 font-mono text-xs" data-testid="log-lines">
      {logs.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: log lines have no id and never reorder.
        <li key={i} className="flex min-w-0 gap-2">
          <span className="shrink-0 text-muted-foreground">{line.at.slice(11, 23)}</span>
          <span className={cn('w-10 shrink-0 uppercase', LEVEL_STYLE[line.level])}>{line.level}</span>
          <span className="min-w-0 break-words whitespace-pre-wrap">{line.message}</span>
        </li>
      ))}
    </ol>
  );
}

/** A value a worker returned, formatted; `undefined` (nothing returned) as a dash. */
export function ErrorBlock({ error }: { error: { name: string; message: string; stack?: string } }) {
  return (
    <pre
      className="max-h-80 overflow-auto rounded-lg border border-destructive/40 bg-destructive/5 p-3 font-mono text-xs leading-relaxed text-destructive"
      data-testid="invocation-error"
    >
      {error.stack ?? `${error.name}: ${error.message}`}
    </pre>
  );
}

/** What the server writes in place of a credential or secret (docs/adr/0028). */
const REDACTED = '[redacted]';

/** JSON text indented when it parses (a cut one does not: then it shows as stored, marker at its end). */
export function indented(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

/**
 * The run's input as the record keeps it, or why there is none; a note says so when parts were redacted or cut.
 */
export function InputBlock({ input, truncated }: { input: string | null | undefined; truncated: boolean }) {
  const { t } = useTranslation();
  if (input === null || input === undefined) {
    return (
      <EmptyState
        icon={Inbox}
        title={t('workers.invocation.noInput')}
        description={t('workers.invocation.noInputHint')}
        className="py-6"
      />
    );
  }
  return (
    <div className="grid gap-2">
      <JsonBlock value={indented(input)} testId="invocation-input" />
      {(truncated || input.includes(REDACTED)) && (
        <p className="text-xs text-muted-foreground">
          {truncated ? t('workers.invocation.inputTruncated') : t('workers.invocation.inputRedacted')}
        </p>
      )}
    </div>
  );
}
