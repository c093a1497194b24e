import { ChevronDown, ChevronRight, History, Inbox, RotateCw, Send } from 'lucide-react';
import { Fragment, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { ConfirmDialog } from '@/components/confirm-dialog';
import { EmptyState } from '@/components/empty-state';
import { JsonBlock } from '@/components/json-block';
import { QueryError } from '@/components/query-error';
import { Button } from '@/components/ui/button';
import { Card, CardAction, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Skeleton } from '@/components/ui/skeleton';
import { useFormat } from '@/lib/format';
import { cn } from '@/lib/utils';
import {
  type MessageStatus,
  useRecover,
  useRedeliver,
  useWebhookMessages,
  type WebhookAttempt,
  type WebhookMessage,
} from './queries';
import { MessageStatusBadge, StatusCode } from './webhook-parts';

const FILTERS = ['all', 'pending', 'succeeded', 'failed'] as const;

/** `datetime-local` wants local time without a zone: a day ago, as the default "since". */
function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The endpoint's delivery log: messages newest first with their attempts, redelivery, and recovery since a time. */
export function MessageLog({
  projectId,
  webhookId,
  manage,
}: {
  projectId: string;
  webhookId: string;
  manage: boolean;
}) {
  const { t } = useTranslation();
  const [status, setStatus] = useState<MessageStatus | 'all'>('all');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1) ?? null;
  const messages = useWebhookMessages(projectId, webhookId, status, cursor);
  const [open, setOpen] = useState<string | null>(null);
  const [recovering, setRecovering] = useState(false);
  const [since, setSince] = useState('');
  const recover = useRecover(projectId, webhookId);

  const choose = (next: MessageStatus | 'all') => {
    setStatus(next);
    setCursors([]);
  };
  const items = messages.data?.items ?? [];

  return (
    <Card className="gap-4" data-testid="message-log">
      <CardHeader>
        <CardTitle>{t('webhooks.messages.title')}</CardTitle>
        <CardDescription>{t('webhooks.messages.subtitle')}</CardDescription>
        {manage && (
          <CardAction>
            <Button
              variant="outline"
              size="sm"
              onClick={() => {
                setSince(localInputValue(new Date(Date.now() - 24 * 3600_000)));
                setRecovering(true);
              }}
            >
              <History /> <span className="hidden sm:inline">{t('webhooks.messages.recover')}</span>
              <span className="sm:hidden">{t('webhooks.messages.recoverShort')}</span>
            </Button>
          </CardAction>
        )}
      </CardHeader>
      <CardContent className="grid min-w-0 grid-cols-[minmax(0,1fr)] gap-3">
        <fieldset
          className="flex w-fit max-w-full min-w-0 flex-wrap gap-1 rounded-lg bg-muted p-1"
          aria-label={t('webhooks.messages.filter')}
        >
          {FILTERS.map((f) => (
            <button
              key={f}
              type="button"
              onClick={() => choose(f)}
              aria-pressed={status === f}
              className={cn(
                'rounded-md px-3 py-1 text-sm whitespace-nowrap transition-colors',
                status === f
                  ? 'bg-background font-medium shadow-xs'
                  : 'text-muted-foreground hover:text-foreground',
              )}
            >
              {t(`webhooks.messages.filters.${f}`)}
            </button>
          ))}
        </fieldset>
        {messages.isPending && <Skeleton className="h-32" />}
        {messages.isError && <QueryError error={messages.error} onRetry={() => void messages.refetch()} />}
        {messages.data && items.length === 0 && (
          <EmptyState
            icon={Inbox}
            className="py-8"
            title={
              status === 'all' ? t('webhooks.messages.empty.title') : t('webhooks.messages.empty.filtered')
            }
            description={status === 'all' ? t('webhooks.messages.empty.body') : undefined}
          />
        )}
        {items.length > 0 && (
          <ul className="divide-y rounded-lg border" data-testid="messages">
            {items.map((m) => (
              <Fragment key={m.id}>
                <MessageRow
                  message={m}
                  open={open === m.id}
                  onToggle={() => setOpen(open === m.id ? null : m.id)}
                  projectId={projectId}
                  webhookId={webhookId}
                  manage={manage}
                />
              </Fragment>
            ))}
          </ul>
        )}
        {(cursors.length > 0 || messages.data?.nextCursor) && (
          <div className="flex justify-between gap-2">
            <Button
              variant="outline"
              size="sm"
              disabled={cursors.length === 0}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              {t('webhooks.messages.newer')}
            </Button>
            <Button
              variant="outline"
              size="sm"
              disabled={!messages.data?.nextCursor}
              onClick={() => messages.data?.nextCursor && setCursors([...cursors, messages.data.nextCursor])}
            >
              {t('webhooks.messages.older')}
            </Button>
          </div>
        )}
      </CardContent>
      <ConfirmDialog
        open={recovering}
        onOpenChange={setRecovering}
        destructive={false}
        title={t('webhooks.messages.recoverTitle')}
        description={t('webhooks.messages.recoverBody')}
        confirmLabel={t('webhooks.messages.recoverConfirm')}
        confirmDisabled={!since || Number.isNaN(Date.parse(since))}
        onConfirm={async () => {
          await recover.mutateAsync(new Date(since).toISOString());
          toast.success(t('webhooks.messages.recovered'));
        }}
      >
        <div className="grid gap-2">
          <Label htmlFor="recover-since">{t('webhooks.messages.since')}</Label>
          <Input
            id="recover-since"
            type="datetime-local"
            value={since}
            onChange={(e) => setSince(e.target.value)}
          />
        </div>
      </ConfirmDialog>
    </Card>
  );
}

function MessageRow({
  message: m,
  open,
  onToggle,
  projectId,
  webhookId,
  manage,
}: {
  message: WebhookMessage;
  open: boolean;
  onToggle: () => void;
  projectId: string;
  webhookId: string;
  manage: boolean;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const redeliver = useRedeliver(projectId, webhookId);
  return (
    <li data-testid="message" data-message-id={m.id}>
      <button
        type="button"
        onClick={onToggle}
        aria-expanded={open}
        className="flex w-full min-w-0 items-center gap-3 px-3 py-2.5 text-left text-sm hover:bg-muted/50"
      >
        {open ? (
          <ChevronDown className="size-4 shrink-0 text-muted-foreground" />
        ) : (
          <ChevronRight className="size-4 shrink-0 text-muted-foreground" />
        )}
        {/* Two lines at every width: the log sits in the narrower of two columns, where one line cut the attempts off. */}
        <span className="grid min-w-0 flex-1 gap-0.5">
          <code className="truncate font-mono text-sm font-medium">{m.eventType}</code>
          <span className="min-w-0 text-xs break-words text-muted-foreground">
            {format.dateTime(m.createdAt)}
            <span className="mx-1.5">·</span>
            {t('webhooks.messages.attempts', { count: m.attempts })}
          </span>
        </span>
        <span className="hidden w-10 text-right sm:inline">
          <StatusCode code={m.lastStatusCode} />
        </span>
        <MessageStatusBadge status={m.status} />
      </button>
      {open && (
        <div className="grid gap-3 border-t bg-muted/20 px-3 py-3" data-testid="message-detail">
          <div className="flex flex-wrap items-center justify-between gap-2">
            <code className="min-w-0 font-mono text-xs break-all text-muted-foreground">{m.id}</code>
            {manage && m.status !== 'pending' && (
              <Button
                size="sm"
                variant="outline"
                disabled={redeliver.isPending}
                onClick={async () => {
                  await redeliver.mutateAsync(m.id);
                  toast.success(t('webhooks.messages.redelivered'));
                }}
              >
                <RotateCw /> {t('webhooks.messages.redeliver')}
              </Button>
            )}
          </div>
          {m.status === 'pending' && m.nextAttemptAt && (
            <p className="text-sm text-muted-foreground">
              {t('webhooks.messages.nextAttempt', { at: format.dateTime(m.nextAttemptAt) })}
            </p>
          )}
          {m.attemptLog.length === 0 ? (
            <p className="text-sm text-muted-foreground">{t('webhooks.messages.noAttempts')}</p>
          ) : (
            <ol className="grid gap-2" data-testid="attempts">
              {m.attemptLog.map((a, i) => (
                <AttemptItem key={a.id} attempt={a} index={i + 1} />
              ))}
            </ol>
          )}
          <div className="grid gap-1">
            <div className="text-xs font-medium text-muted-foreground">{t('webhooks.messages.payload')}</div>
            <JsonBlock value={m.payload} />
          </div>
        </div>
      )}
    </li>
  );
}

export function AttemptItem({ attempt: a, index }: { attempt: WebhookAttempt; index?: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <li className="grid gap-1.5 rounded-md border bg-background p-2.5 text-sm" data-testid="attempt">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        {index !== undefined && <span className="text-xs text-muted-foreground">#{index}</span>}
        <span
          className={
            a.outcome === 'succeeded' ? 'text-emerald-700 dark:text-emerald-400' : 'text-destructive'
          }
        >
          {t(`webhooks.attempt.${a.outcome}`)}
        </span>
        <StatusCode code={a.statusCode} />
        <span className="text-muted-foreground">
          {t('webhooks.attempt.duration', { ms: format.ms(a.durationMs) })}
        </span>
        <span className="text-muted-foreground">{format.dateTime(a.at)}</span>
        {a.trigger === 'test' && (
          <span className="text-xs text-muted-foreground">
            <Send className="mr-1 inline size-3" />
            {t('webhooks.attempt.test')}
          </span>
        )}
      </div>
      {a.error && <p className="font-mono text-xs break-all text-destructive">{a.error}</p>}
      {a.responseBody && (
        <pre className="max-h-40 overflow-auto rounded border bg-muted/30 p-2 font-mono text-xs whitespace-pre-wrap break-all">
          {a.responseBody}
        </pre>
      )}
    </li>
  );
}
