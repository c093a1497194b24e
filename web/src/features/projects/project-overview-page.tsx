import { getRouteApi, Link } from '@tanstack/react-router';
import { Plus, Settings, Target } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ColorDot } from '@/components/color-dot';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { GoalFormDialog } from '@/features/goals/goal-form-dialog';
import { GoalSparkline } from '@/features/goals/goal-sparkline';
import { useProjectGoals } from '@/features/goals/queries';
import { useFormat } from '@/lib/format';
import { canManage } from './access';
import { IncrementSnippet } from './increment-snippet';
import { useProject } from './queries';

const route = getRouteApi('/app/projects/$projectId/');

export function ProjectOverviewPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { projectId } = route.useParams();
  const project = useProject(projectId);
  const goals = useProjectGoals(projectId);
  const [creating, setCreating] = useState(false);
  if (project.isPending) return <Skeleton className="h-64" />;
  if (project.isError) return <QueryError error={project.error} onRetry={() => void project.refetch()} />;
  const p = project.data;
  const manage = canManage(p.access);
  const firstGoal = goals.data?.[0];

  return (
    <>
      <PageHeader
        eyebrow={t('projects.overview.eyebrow')}
        title={
          <span className="flex items-center gap-2">
            <ColorDot color={p.color} className="size-3" /> {p.name}
          </span>
        }
        description={
          <span className="flex flex-wrap items-center gap-2">
            <span className="font-mono">{p.slug}</span>
            <Badge variant="outline">{t(`projects.access.${p.access}`)}</Badge>
          </span>
        }
        actions={
          manage && (
            <>
              <Button variant="outline" asChild>
                <Link to="/projects/$projectId/settings" params={{ projectId }}>
                  <Settings /> {t('projects.settings.title')}
                </Link>
              </Button>
              <Button onClick={() => setCreating(true)}>
                <Plus /> {t('goals.new')}
              </Button>
            </>
          )
        }
      />
      <h2 className="mb-3 text-sm font-medium text-muted-foreground">{t('projects.overview.goals')}</h2>
      {goals.isPending && <Skeleton className="h-32" />}
      {goals.isError && <QueryError error={goals.error} onRetry={() => void goals.refetch()} />}
      {goals.data?.length === 0 && (
        <EmptyState
          icon={Target}
          title={t('goals.empty.title')}
          description={manage ? t('goals.empty.bodyManager') : t('goals.empty.bodyMember')}
          action={
            manage && (
              <Button onClick={() => setCreating(true)}>
                <Plus /> {t('goals.new')}
              </Button>
            )
          }
        />
      )}
      {goals.data && goals.data.length > 0 && (
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {goals.data.map((goal) => (
            <Link
              key={goal.id}
              to="/projects/$projectId/goals/$goalId"
              params={{ projectId, goalId: goal.id }}
              className="rounded-xl outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50"
            >
              <Card className="h-full gap-3 transition-colors hover:bg-accent/40" data-testid="goal-card">
                <CardHeader>
                  <CardDescription className="flex items-center gap-2">
                    <ColorDot color={goal.color} /> <span className="truncate">{goal.name}</span>
                  </CardDescription>
                  <CardTitle className="text-3xl tabular-nums">{format.number(goal.total)}</CardTitle>
                </CardHeader>
                <CardContent>
                  <GoalSparkline goal={goal} className="h-10 w-full" />
                  <div className="mt-1 text-xs text-muted-foreground">
                    {goal.type === 'daily_counter' ? t('goals.table.last30') : t('goals.types.counter')}
                  </div>
                </CardContent>
              </Card>
            </Link>
          ))}
        </div>
      )}
      {firstGoal && (
        <div className="mt-8">
          <h2 className="mb-3 text-sm font-medium text-muted-foreground">
            {t('projects.overview.fromOutside')}
          </h2>
          <IncrementSnippet goalSlug={firstGoal.slug} apiKey={null} />
        </div>
      )}
      <GoalFormDialog open={creating} onOpenChange={setCreating} projectId={projectId} projectSlug={p.slug} />
    </>
  );
}
