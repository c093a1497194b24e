import { getRouteApi, Link } from '@tanstack/react-router';
import { ChevronLeft } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Skeleton } from '@/components/ui/skeleton';
import { canManage } from '@/features/projects/access';
import { useProject } from '@/features/projects/queries';
import { cn } from '@/lib/utils';
import { CodeTab } from './code-tab';
import { DryRunTab } from './dry-run-tab';
import { LogsTab } from './logs-tab';
import { useVersion, useWorker } from './queries';
import { WORKER_TABS, type WorkerTab } from './routes';
import { RunTab } from './run-tab';
import { StatsTab } from './stats-tab';
import { TriggersTab } from './triggers-tab';
import { useDraft } from './use-draft';
import { VersionsTab } from './versions-tab';
import { WorkerStatusBadges } from './worker-status';

const route = getRouteApi('/app/projects/$projectId/workers/$workerId');

export function WorkerPage() {
  const { t } = useTranslation();
  const { projectId, workerId } = route.useParams();
  const { tab = 'code' } = route.useSearch();
  const project = useProject(projectId);
  const worker = useWorker(projectId, workerId);
  const manage = canManage(project.data?.access);
  const w = worker.data;
  const needsDeployed = !!w && w.draftSource === null && w.activeVersion !== null;
  const deployed = useVersion(projectId, workerId, needsDeployed ? (w?.activeVersion ?? null) : null);
  const draft = useDraft(
    project.data ? w : undefined,
    projectId,
    manage,
    needsDeployed ? deployed.data?.source : null,
  );

  if (worker.isError) return <QueryError error={worker.error} onRetry={() => void worker.refetch()} />;
  if (!w) return <Skeleton className="h-96" />;

  const unsaved = manage && draft.status !== 'saved';
  return (
    <>
      <Link
        to="/projects/$projectId/workers"
        params={{ projectId }}
        className="mb-2 inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground"
      >
        <ChevronLeft className="size-4" /> {t('workers.title')}
      </Link>
      <PageHeader
        title={w.name}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <code className="font-mono">{w.slug}</code>
            <WorkerStatusBadges worker={{ ...w, undeployedChanges: w.undeployedChanges || unsaved }} />
          </span>
        }
      />
      <nav
        className="-mx-4 mb-4 flex gap-1 overflow-x-auto border-b px-4 md:mx-0 md:px-0"
        aria-label={t('workers.tabs.label')}
      >
        {WORKER_TABS.map((name: WorkerTab) => (
          <Link
            key={name}
            to="/projects/$projectId/workers/$workerId"
            params={{ projectId, workerId }}
            search={name === 'code' ? {} : { tab: name }}
            className={cn(
              '-mb-px shrink-0 border-b-2 px-3 py-2 text-sm whitespace-nowrap transition-colors',
              tab === name
                ? 'border-primary font-medium text-foreground'
                : 'border-transparent text-muted-foreground hover:text-foreground',
            )}
            aria-current={tab === name ? 'page' : undefined}
            data-testid={`tab-${name}`}
          >
            {t(`workers.tabs.${name}`)}
          </Link>
        ))}
      </nav>
      {tab === 'code' && <CodeTab projectId={projectId} worker={w} draft={draft} manage={manage} />}
      {tab === 'triggers' && <TriggersTab projectId={projectId} worker={w} manage={manage} />}
      {tab === 'run' && <RunTab projectId={projectId} worker={w} />}
      {tab === 'logs' && <LogsTab projectId={projectId} worker={w} />}
      {tab === 'stats' && <StatsTab projectId={projectId} worker={w} />}
      {tab === 'versions' && <VersionsTab projectId={projectId} worker={w} draft={draft} manage={manage} />}
      {tab === 'dry-run' && <DryRunTab projectId={projectId} worker={w} draft={draft} manage={manage} />}
    </>
  );
}
