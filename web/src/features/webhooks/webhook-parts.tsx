import { useTranslation } from 'react-i18next';
import { Badge } from '@/components/ui/badge';
import { cn } from '@/lib/utils';
import type { MessageStatus, Webhook } from './queries';

const OK = 'border-emerald-500/40 text-emerald-700 dark:text-emerald-400';
const BAD = 'border-destructive/40 text-destructive';
const WAIT = 'border-amber-500/40 text-amber-700 dark:text-amber-400';

/** Enabled, switched off by a person, or switched off by m3m (410 / 5 days of failures). */
export function EndpointStatus({ webhook }: { webhook: Webhook }) {
  const { t } = useTranslation();
  const [label, style] = webhook.enabled
    ? [t('webhooks.status.enabled'), OK]
    : webhook.disabledReason === 'gone'
      ? [t('webhooks.status.gone'), BAD]
      : webhook.disabledReason === 'failing'
        ? [t('webhooks.status.failing'), BAD]
        : [t('webhooks.status.disabled'), 'text-muted-foreground'];
  return (
    <Badge variant="outline" className={style} data-testid="endpoint-status">
      {label}
    </Badge>
  );
}

export function MessageStatusBadge({ status }: { status: MessageStatus }) {
  const { t } = useTranslation();
  return (
    <Badge
      variant="outline"
      className={cn(status === 'succeeded' ? OK : status === 'failed' ? BAD : WAIT)}
      data-testid="message-status"
      data-status={status}
    >
      {t(`webhooks.messages.status.${status}`)}
    </Badge>
  );
}

/** An HTTP status as a person reads it: 2xx green, others red, none (no answer) a dash. */
export function StatusCode({ code }: { code: number | null }) {
  if (code === null) return <span className="text-muted-foreground">—</span>;
  return (
    <code
      className={cn(
        'font-mono',
        code >= 200 && code < 300 ? 'text-emerald-700 dark:text-emerald-400' : 'text-destructive',
      )}
    >
      {code}
    </code>
  );
}

/** The types an endpoint receives, short: "All event types" or the list. */
export function EventTypesSummary({ types }: { types: string[] | null }) {
  const { t } = useTranslation();
  if (types === null) return <span className="text-muted-foreground">{t('webhooks.allTypes')}</span>;
  return (
    <span className="flex flex-wrap gap-1">
      {types.map((type) => (
        <Badge key={type} variant="secondary" className="font-mono font-normal">
          {type}
        </Badge>
      ))}
    </span>
  );
}
