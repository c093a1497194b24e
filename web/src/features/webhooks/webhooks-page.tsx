import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { ChevronRight, Plus, Webhook as WebhookIcon } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { useProject } from '@/features/projects/queries';
import { useFormat } from '@/lib/format';
import { WebhooksLoadError } from './module-off';
import { useWebhooks, type Webhook } from './queries';
import { SecretDialog } from './secret-dialog';
import { WebhookFormDialog } from './webhook-form-dialog';
import { EndpointStatus, EventTypesSummary } from './webhook-parts';

const route = getRouteApi('/app/projects/$projectId/webhooks');

/** The project's webhook endpoints: where its events go, whether they are on, and a way to add one. */
export function WebhooksPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const { projectId } = route.useParams();
  const project = useProject(projectId);
  const hooks = useWebhooks(projectId);
  const [adding, setAdding] = useState(false);
  const [created, setCreated] = useState<(Webhook & { secret: string }) | null>(null);

  const add = (
    <Button onClick={() => setAdding(true)}>
      <Plus /> {t('webhooks.add')}
    </Button>
  );
  return (
    <>
      <PageHeader
        eyebrow={project.data?.name}
        title={t('webhooks.title')}
        description={t('webhooks.subtitle')}
        actions={!hooks.isError && hooks.data && hooks.data.length > 0 && add}
      />
      {hooks.isPending && <Skeleton className="h-40" />}
      {hooks.isError && (
        <WebhooksLoadError error={hooks.error} projectId={projectId} onRetry={() => void hooks.refetch()} />
      )}
      {!hooks.isError && hooks.data?.length === 0 && (
        <EmptyState
          icon={WebhookIcon}
          title={t('webhooks.empty.title')}
          description={t('webhooks.empty.body')}
          action={add}
        />
      )}
      {!hooks.isError && hooks.data && hooks.data.length > 0 && (
        <div className="rounded-xl border bg-card">
          <Table className="table-fixed">
            <TableHeader>
              <TableRow>
                <TableHead className="pl-4">{t('webhooks.endpoint')}</TableHead>
                <TableHead className="hidden w-[34%] md:table-cell">{t('webhooks.events')}</TableHead>
                <TableHead className="w-28 sm:w-32">{t('webhooks.statusLabel')}</TableHead>
                <TableHead className="hidden w-36 lg:table-cell">{t('webhooks.created')}</TableHead>
                <TableHead className="w-10" />
              </TableRow>
            </TableHeader>
            <TableBody>
              {hooks.data.map((h) => (
                <TableRow
                  key={h.id}
                  data-testid="webhook-row"
                  className="cursor-pointer"
                  onClick={() =>
                    void navigate({
                      to: '/projects/$projectId/webhooks/$webhookId',
                      params: { projectId, webhookId: h.id },
                    })
                  }
                >
                  <TableCell className="pl-4">
                    <Link
                      to="/projects/$projectId/webhooks/$webhookId"
                      params={{ projectId, webhookId: h.id }}
                      className="block truncate font-mono text-sm font-medium hover:underline"
                      title={h.url}
                      onClick={(e) => e.stopPropagation()}
                    >
                      {h.url}
                    </Link>
                    {h.description && (
                      <div className="truncate text-xs text-muted-foreground" title={h.description}>
                        {h.description}
                      </div>
                    )}
                  </TableCell>
                  <TableCell className="hidden whitespace-normal md:table-cell">
                    <EventTypesSummary types={h.eventTypes} />
                  </TableCell>
                  <TableCell>
                    <EndpointStatus webhook={h} />
                  </TableCell>
                  <TableCell className="hidden text-muted-foreground lg:table-cell">
                    {format.date(h.createdAt)}
                  </TableCell>
                  <TableCell className="pr-3 text-muted-foreground">
                    <ChevronRight className="size-4" />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
      <WebhookFormDialog
        open={adding}
        onOpenChange={setAdding}
        projectId={projectId}
        onCreated={(hook) => setCreated(hook)}
      />
      <SecretDialog
        secret={created?.secret ?? null}
        onClose={() => {
          const id = created?.id;
          setCreated(null);
          if (id)
            void navigate({
              to: '/projects/$projectId/webhooks/$webhookId',
              params: { projectId, webhookId: id },
            });
        }}
      />
    </>
  );
}
