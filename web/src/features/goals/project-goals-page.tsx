import { getRouteApi } from '@tanstack/react-router';
import { Plus, Target } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Goal } from '@/api/types';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { canManage } from '@/features/projects/access';
import { useProject } from '@/features/projects/queries';
import { DeleteGoalDialog } from './delete-goal-dialog';
import { GoalFormDialog } from './goal-form-dialog';
import { GoalsTable } from './goals-table';
import { useProjectGoals } from './queries';

const route = getRouteApi('/app/projects/$projectId/goals');

export function ProjectGoalsPage() {
  const { t } = useTranslation();
  const { projectId } = route.useParams();
  const project = useProject(projectId);
  const goals = useProjectGoals(projectId);
  const [editing, setEditing] = useState<Goal | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Goal | null>(null);
  const manage = canManage(project.data?.access);

  return (
    <>
      <PageHeader
        eyebrow={project.data?.name}
        title={t('goals.projectTitle')}
        description={t('goals.projectSubtitle')}
        actions={
          manage && (
            <Button onClick={() => setEditing('new')}>
              <Plus /> {t('goals.new')}
            </Button>
          )
        }
      />
      {goals.isPending && <Skeleton className="h-48" />}
      {goals.isError && <QueryError error={goals.error} onRetry={() => void goals.refetch()} />}
      {goals.data?.length === 0 && (
        <EmptyState
          icon={Target}
          title={t('goals.empty.title')}
          description={manage ? t('goals.empty.bodyManager') : t('goals.empty.bodyMember')}
          action={
            manage && (
              <Button onClick={() => setEditing('new')}>
                <Plus /> {t('goals.new')}
              </Button>
            )
          }
        />
      )}
      {goals.data && goals.data.length > 0 && (
        <GoalsTable
          goals={goals.data}
          projectId={projectId}
          canManage={manage}
          onEdit={setEditing}
          onDelete={setDeleting}
        />
      )}
      <GoalFormDialog
        open={editing !== null}
        onOpenChange={(open) => !open && setEditing(null)}
        projectId={projectId}
        {...(project.data ? { projectSlug: project.data.slug } : {})}
        {...(editing && editing !== 'new' ? { goal: editing } : {})}
      />
      <DeleteGoalDialog goal={deleting} onOpenChange={(open) => !open && setDeleting(null)} />
    </>
  );
}
