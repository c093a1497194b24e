import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import {
  ChevronLeft,
  KeyRound,
  MoreHorizontal,
  Pencil,
  Power,
  Send,
  Trash2,
  TriangleAlert,
  X,
} from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { ConfirmDialog } from '@/components/confirm-dialog';
import { PageHeader } from '@/components/page-header';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardAction, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { Skeleton } from '@/components/ui/skeleton';
import { canManage } from '@/features/projects/access';
import { useProject } from '@/features/projects/queries';
import { useFormat } from '@/lib/format';
import { AttemptItem, MessageLog } from './message-log';
import { WebhooksLoadError } from './module-off';
import {
  type TestResult,
  useDeleteWebhook,
  useRotateSecret,
  useSendTest,
  useUpdateWebhook,
  useWebhook,
} from './queries';
import { SecretDialog } from './secret-dialog';
import { WebhookFormDialog } from './webhook-form-dialog';
import { EndpointStatus, EventTypesSummary } from './webhook-parts';

const route = getRouteApi('/app/projects/$projectId/webhooks/$webhookId');

/** One endpoint: its settings, its secret's rotation, a test send with its result, and its delivery log. */
export function WebhookPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const { projectId, webhookId } = route.useParams();
  const project = useProject(projectId);
  const hook = useWebhook(projectId, webhookId);
  const update = useUpdateWebhook(projectId, webhookId);
  const remove = useDeleteWebhook(projectId);
  const rotate = useRotateSecret(projectId, webhookId);
  const test = useSendTest(projectId, webhookId);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [rotating, setRotating] = useState(false);
  const [secret, setSecret] = useState<{ secret: string; previousSecretExpiresAt: string } | null>(null);
  const [result, setResult] = useState<TestResult | null>(null);
  const manage = canManage(project.data?.access);

  const back = (
    <Link
      to="/projects/$projectId/webhooks"
      params={{ projectId }}
      className="mb-2 inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground"
    >
      <ChevronLeft className="size-4" /> {t('webhooks.title')}
    </Link>
  );
  if (hook.isError)
    return (
      <>
        {back}
        <WebhooksLoadError error={hook.error} projectId={projectId} onRetry={() => void hook.refetch()} />
      </>
    );
  const h = hook.data;
  if (!h) return <Skeleton className="h-96" />;

  const facts: [string, React.ReactNode][] = [
    [t('webhooks.statusLabel'), <EndpointStatus key="s" webhook={h} />],
    [t('webhooks.events'), <EventTypesSummary key="e" types={h.eventTypes} />],
    [t('webhooks.form.rateLimit'), t('webhooks.perSecond', { count: h.rateLimit })],
    [
      t('webhooks.secretLabel'),
      h.secretRotatedAt
        ? t('webhooks.rotatedAt', { at: format.dateTime(h.secretRotatedAt) })
        : t('webhooks.neverRotated'),
    ],
    [t('webhooks.created'), format.dateTime(h.createdAt)],
  ];
  const overlap = h.previousSecretExpiresAt && Date.parse(h.previousSecretExpiresAt) > Date.now();

  return (
    <>
      {back}
      <PageHeader
        eyebrow={project.data?.name}
        title={h.description || hostOf(h.url)}
        description={
          <code className="font-mono text-xs break-all" data-testid="webhook-url">
            {h.url}
          </code>
        }
        actions={
          manage && (
            <>
              <Button
                onClick={async () => {
                  setResult(await test.mutateAsync());
                }}
                disabled={test.isPending}
              >
                <Send /> {test.isPending ? t('webhooks.test.sending') : t('webhooks.test.send')}
              </Button>
              <Button variant="outline" onClick={() => setEditing(true)}>
                <Pencil /> {t('common.edit')}
              </Button>
              <DropdownMenu>
                <DropdownMenuTrigger asChild>
                  <Button variant="outline" size="icon" aria-label={t('webhooks.more')}>
                    <MoreHorizontal />
                  </Button>
                </DropdownMenuTrigger>
                <DropdownMenuContent align="end">
                  <DropdownMenuItem onSelect={() => setRotating(true)}>
                    <KeyRound /> {t('webhooks.rotate')}
                  </DropdownMenuItem>
                  <DropdownMenuSeparator />
                  <DropdownMenuItem variant="destructive" onSelect={() => setDeleting(true)}>
                    <Trash2 /> {t('common.delete')}
                  </DropdownMenuItem>
                </DropdownMenuContent>
              </DropdownMenu>
            </>
          )
        }
      />
      {!h.enabled && h.disabledReason && (
        <Alert variant="warning" className="mb-4" data-testid="auto-disabled">
          <TriangleAlert />
          <AlertTitle>
            {t(`webhooks.autoDisabled.${h.disabledReason === 'gone' ? 'gone' : 'failing'}`)}
          </AlertTitle>
          <AlertDescription>
            {h.disabledDetail && <p className="font-mono text-xs break-all">{h.disabledDetail}</p>}
            {manage && (
              <Button
                size="sm"
                variant="outline"
                className="mt-2"
                disabled={update.isPending}
                onClick={async () => {
                  await update.mutateAsync({ enabled: true });
                  toast.success(t('webhooks.switchedOn'));
                }}
              >
                <Power /> {t('webhooks.switchOn')}
              </Button>
            )}
          </AlertDescription>
        </Alert>
      )}
      {overlap && h.previousSecretExpiresAt && (
        <Alert className="mb-4">
          <KeyRound />
          <AlertDescription>
            {t('webhooks.secret.overlap', { until: format.dateTime(h.previousSecretExpiresAt) })}
          </AlertDescription>
        </Alert>
      )}
      <div className="grid gap-4 lg:grid-cols-[minmax(0,340px)_minmax(0,1fr)] lg:items-start">
        <div className="grid min-w-0 gap-4">
          <Card className="gap-3">
            <CardHeader>
              <CardTitle>{t('webhooks.settings')}</CardTitle>
            </CardHeader>
            <CardContent>
              <dl className="grid gap-3 text-sm" data-testid="webhook-facts">
                {facts.map(([label, value]) => (
                  <div key={label} className="grid gap-1">
                    <dt className="text-xs text-muted-foreground">{label}</dt>
                    <dd className="min-w-0">{value}</dd>
                  </div>
                ))}
              </dl>
            </CardContent>
          </Card>
          {result && (
            <Card className="gap-3" data-testid="test-result">
              <CardHeader>
                <CardTitle>{t('webhooks.test.result')}</CardTitle>
                <CardAction>
                  <Button
                    variant="ghost"
                    size="icon-sm"
                    aria-label={t('common.close')}
                    onClick={() => setResult(null)}
                  >
                    <X />
                  </Button>
                </CardAction>
              </CardHeader>
              <CardContent>
                <ul className="grid">
                  <AttemptItem attempt={result.attempt} />
                </ul>
              </CardContent>
            </Card>
          )}
        </div>
        <MessageLog projectId={projectId} webhookId={webhookId} manage={manage} />
      </div>
      <WebhookFormDialog open={editing} onOpenChange={setEditing} projectId={projectId} webhook={h} />
      <ConfirmDialog
        open={rotating}
        onOpenChange={setRotating}
        destructive={false}
        title={t('webhooks.rotateTitle')}
        description={t('webhooks.rotateBody')}
        confirmLabel={t('webhooks.rotate')}
        onConfirm={async () => setSecret(await rotate.mutateAsync())}
      />
      <SecretDialog
        secret={secret?.secret ?? null}
        previousExpiresAt={secret?.previousSecretExpiresAt ?? null}
        onClose={() => setSecret(null)}
      />
      <ConfirmDialog
        open={deleting}
        onOpenChange={setDeleting}
        title={t('webhooks.deleteTitle')}
        description={t('webhooks.deleteBody', { url: h.url })}
        confirmLabel={t('common.delete')}
        onConfirm={async () => {
          await remove.mutateAsync(h.id);
          toast.success(t('webhooks.deleted'));
          await navigate({ to: '/projects/$projectId/webhooks', params: { projectId } });
        }}
      />
    </>
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
