import { getRouteApi } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { ColorDot } from '@/components/color-dot';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Skeleton } from '@/components/ui/skeleton';
import { useProject } from './queries';

const route = getRouteApi('/app/projects/$projectId/');

export function ProjectOverviewPage() {
  const { t } = useTranslation();
  const { projectId } = route.useParams();
  const project = useProject(projectId);
  if (project.isPending) return <Skeleton className="h-24" />;
  if (project.isError) return <QueryError error={project.error} onRetry={() => void project.refetch()} />;
  return (
    <PageHeader
      eyebrow={t('projects.overview.eyebrow')}
      title={
        <span className="flex items-center gap-2">
          <ColorDot color={project.data.color} className="size-3" /> {project.data.name}
        </span>
      }
      description={<span className="font-mono">{project.data.slug}</span>}
    />
  );
}
