import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { Clock, Code, Globe, Plus, Zap } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { canManage } from '@/features/projects/access';
import { useProject } from '@/features/projects/queries';
import { useFormat } from '@/lib/format';
import { CreateWorkerDialog } from './create-worker-dialog';
import { useWorkers } from './queries';
import { WorkerStatusBadges } from './worker-status';

const route = getRouteApi('/app/projects/$projectId/workers');

export function WorkersPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { projectId } = route.useParams();
  const navigate = useNavigate();
  const project = useProject(projectId);
  const workers = useWorkers(projectId);
  const [creating, setCreating] = useState(false);
  const manage = canManage(project.data?.access);
  const createButton = manage && (
    <Button onClick={() => setCreating(true)}>
      <Plus /> {t('workers.add')}
    </Button>
  );

  return (
    <>
      <PageHeader
        eyebrow={project.data?.name}
        title={t('workers.title')}
        description={t('workers.subtitle')}
        actions={createButton}
      />
      {workers.isPending && <Skeleton className="h-40" />}
      {workers.isError && <QueryError error={workers.error} onRetry={() => void workers.refetch()} />}
      {workers.data?.length === 0 && (
        <EmptyState
          icon={Code}
          title={t('workers.empty.title')}
          description={t('workers.empty.body')}
          action={createButton}
        />
      )}
      {workers.data && workers.data.length > 0 && (
        <div className="rounded-xl border bg-card">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead className="pl-4">{t('workers.fields.name')}</TableHead>
                <TableHead className="hidden md:table-cell">{t('workers.triggersColumn')}</TableHead>
                <TableHead>{t('workers.statusColumn')}</TableHead>
                <TableHead className="hidden md:table-cell">{t('workers.updated')}</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {workers.data.map((w) => (
                <TableRow key={w.id} data-testid="worker-row">
                  <TableCell className="pl-4">
                    <Link
                      to="/projects/$projectId/workers/$workerId"
                      params={{ projectId, workerId: w.id }}
                      className="font-medium hover:underline"
                    >
                      {w.name}
                    </Link>
                    <div className="font-mono text-xs text-muted-foreground">
                      {w.slug} · {w.language === 'typescript' ? 'TS' : 'JS'}
                    </div>
                  </TableCell>
                  <TableCell className="hidden md:table-cell">
                    <div className="flex flex-wrap gap-1">
                      {w.triggers.http && (
                        <Badge variant="outline">
                          <Globe /> HTTP
                        </Badge>
                      )}
                      {w.triggers.cron && (
                        <Badge variant="outline" className="font-mono">
                          <Clock /> {w.triggers.cron}
                        </Badge>
                      )}
                      {w.triggers.events.length > 0 && (
                        <Badge variant="outline">
                          <Zap /> {t('workers.eventCount', { count: w.triggers.events.length })}
                        </Badge>
                      )}
                      {!w.triggers.http && !w.triggers.cron && w.triggers.events.length === 0 && (
                        <span className="text-sm text-muted-foreground">{t('workers.runOnly')}</span>
                      )}
                    </div>
                  </TableCell>
                  <TableCell>
                    <WorkerStatusBadges worker={w} />
                  </TableCell>
                  <TableCell className="hidden text-muted-foreground md:table-cell">
                    {format.dateTime(w.updatedAt)}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
      <CreateWorkerDialog
        projectId={projectId}
        open={creating}
        onOpenChange={setCreating}
        onCreated={(w) =>
          void navigate({
            to: '/projects/$projectId/workers/$workerId',
            params: { projectId, workerId: w.id },
          })
        }
      />
    </>
  );
}
