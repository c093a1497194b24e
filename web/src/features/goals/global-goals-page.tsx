import { useQuery } from '@tanstack/react-query';
import { Globe, Plus } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Goal } from '@/api/types';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { isGlobalAdmin, useMe } from '@/features/auth/queries';
import { adminProjectsQuery } from '@/features/projects/queries';
import { DeleteGoalDialog } from './delete-goal-dialog';
import { GoalFormDialog } from './goal-form-dialog';
import { GoalsTable } from './goals-table';
import { useGlobalGoals } from './queries';

export function GlobalGoalsPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const admin = isGlobalAdmin(me);
  const goals = useGlobalGoals();
  const projects = useQuery({ ...adminProjectsQuery, enabled: admin });
  const [editing, setEditing] = useState<Goal | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Goal | null>(null);

  return (
    <>
      <PageHeader
        title={t('goals.globalTitle')}
        description={t('goals.globalSubtitle')}
        actions={
          admin && (
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
          icon={Globe}
          title={t('goals.emptyGlobal.title')}
          description={t('goals.emptyGlobal.body')}
          action={
            admin && (
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
          projectId={null}
          canManage={admin}
          onEdit={setEditing}
          onDelete={setDeleting}
        />
      )}
      <GoalFormDialog
        open={editing !== null}
        onOpenChange={(open) => !open && setEditing(null)}
        projectId={null}
        projects={(projects.data ?? []).map((p) => ({ id: p.id, name: p.name }))}
        {...(editing && editing !== 'new' ? { goal: editing } : {})}
      />
      <DeleteGoalDialog goal={deleting} onOpenChange={(open) => !open && setDeleting(null)} />
    </>
  );
}
