import { FolderKanban, Plus } from 'lucide-react';
import { lazy, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { hasPermission, useMe } from '@/features/auth/queries';
import { useProjectGoals } from '@/features/goals/queries';
import { ApiKeyDialog } from '@/features/projects/api-key-dialog';
import type { CreatedProject } from '@/features/projects/create-project-dialog';
import { useProjects } from '@/features/projects/queries';
import { FirstSteps } from './first-steps';
import { ProjectCard } from './project-card';

// The form (and zod with it) loads when the dialog opens: the home page is a first page.
const CreateProjectDialog = lazy(() =>
  import('@/features/projects/create-project-dialog').then((m) => ({ default: m.CreateProjectDialog })),
);

export function HomePage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const projects = useProjects();
  const canCreate = hasPermission(me, 'create_projects');
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedProject | null>(null);
  const [showKey, setShowKey] = useState<string | null>(null);
  const only = projects.data?.length === 1 ? projects.data[0]! : null;
  const onlyGoals = useProjectGoals(only?.id ?? '');
  // The guide stays until the one project has counted something (or there are several projects).
  const guide =
    projects.data &&
    (projects.data.length === 0 || (only && onlyGoals.data && !onlyGoals.data.some((g) => g.total > 0)));

  const onCreated = (project: CreatedProject) => {
    setCreated(project);
    setShowKey(project.apiKey);
  };

  return (
    <>
      <PageHeader
        title={t('home.title', { name: me?.name ?? '' })}
        description={t('home.subtitle')}
        actions={
          canCreate &&
          !guide && (
            <Button onClick={() => setCreating(true)}>
              <Plus /> {t('projects.create.title')}
            </Button>
          )
        }
      />
      {projects.isPending && (
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {[0, 1, 2].map((i) => (
            <Skeleton key={i} className="h-44" />
          ))}
        </div>
      )}
      {projects.isError && <QueryError error={projects.error} onRetry={() => void projects.refetch()} />}
      {guide && <FirstSteps project={only} canCreate={canCreate} created={created} onCreated={onCreated} />}
      {projects.data?.length === 0 && !canCreate && (
        <EmptyState icon={FolderKanban} title={t('home.empty.title')} description={t('home.empty.body')} />
      )}
      {projects.data && projects.data.length > 0 && (
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {projects.data.map((p) => (
            <ProjectCard key={p.id} project={p} />
          ))}
        </div>
      )}
      {creating && (
        <Suspense>
          <CreateProjectDialog open={creating} onOpenChange={setCreating} onCreated={onCreated} />
        </Suspense>
      )}
      <ApiKeyDialog apiKey={showKey} rotated={false} onClose={() => setShowKey(null)} />
    </>
  );
}
