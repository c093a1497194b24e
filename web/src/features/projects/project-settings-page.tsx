import { getRouteApi } from '@tanstack/react-router';
import { ShieldAlert } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Skeleton } from '@/components/ui/skeleton';
import { canManage } from './access';
import { useProject } from './queries';
import { ApiKeyCard } from './settings/api-key-card';
import { DangerZone } from './settings/danger-zone';
import { GeneralCard } from './settings/general-card';
import { MembersCard } from './settings/members-card';

const route = getRouteApi('/app/projects/$projectId/settings');

export function ProjectSettingsPage() {
  const { t } = useTranslation();
  const { projectId } = route.useParams();
  const project = useProject(projectId);
  if (project.isPending) return <Skeleton className="h-96" />;
  if (project.isError) return <QueryError error={project.error} onRetry={() => void project.refetch()} />;
  const p = project.data;
  return (
    <>
      <PageHeader
        eyebrow={p.name}
        title={t('projects.settings.title')}
        description={t('projects.settings.subtitle')}
      />
      {!canManage(p.access) ? (
        <Alert>
          <ShieldAlert />
          <AlertDescription>{t('projects.settings.notManager')}</AlertDescription>
        </Alert>
      ) : (
        <div className="grid gap-6">
          <div className="grid gap-6 lg:grid-cols-2">
            <GeneralCard project={p} />
            <ApiKeyCard project={p} />
          </div>
          <MembersCard project={p} />
          <DangerZone project={p} />
        </div>
      )}
    </>
  );
}
