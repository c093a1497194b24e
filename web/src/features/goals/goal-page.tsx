import { useNavigate } from '@tanstack/react-router';
import { ArrowLeft, Pencil, Plus, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { BarChart } from '@/components/bar-chart';
import { ColorDot, useColorHex } from '@/components/color-dot';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Skeleton } from '@/components/ui/skeleton';
import { isGlobalAdmin, useMe } from '@/features/auth/queries';
import { canManage } from '@/features/projects/access';
import { useProject } from '@/features/projects/queries';
import { useFormat } from '@/lib/format';
import { DeleteGoalDialog } from './delete-goal-dialog';
import { GoalFormDialog } from './goal-form-dialog';
import { type GoalSearch, RANGES } from './goal-search';
import { useGoal, useGoalStats, useIncrementGoal, utcDay } from './queries';

/** One goal: its total, its days over a chosen range, and (in a project) an increment to try it out. */
export function GoalPage({
  goalId,
  projectId,
  search,
}: {
  goalId: string;
  projectId: string | null;
  search: GoalSearch;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const { data: me } = useMe();
  const goal = useGoal(goalId);
  const project = useProject(projectId ?? '');
  const range =
    search.from || search.to
      ? { ...(search.from ? { from: search.from } : {}), ...(search.to ? { to: search.to } : {}) }
      : { from: utcDay((search.days ?? 30) - 1), to: utcDay(0) };
  const stats = useGoalStats(goalId, range, goal.data?.type === 'daily_counter');
  const hex = useColorHex(goal.data?.color);
  const increment = useIncrementGoal(goalId);
  const [by, setBy] = useState('1');
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);

  const manage = projectId ? canManage(project.data?.access) : isGlobalAdmin(me);
  const back = () =>
    projectId
      ? navigate({ to: '/projects/$projectId/goals', params: { projectId } })
      : navigate({ to: '/goals' });
  const setSearch = (next: GoalSearch) =>
    projectId
      ? navigate({ to: '/projects/$projectId/goals/$goalId', params: { projectId, goalId }, search: next })
      : navigate({ to: '/goals/$goalId', params: { goalId }, search: next });

  if (goal.isPending) return <Skeleton className="h-80" />;
  if (goal.isError) return <QueryError error={goal.error} onRetry={() => void goal.refetch()} />;
  const g = goal.data;
  const byNumber = Number(by);
  const byValid = Number.isInteger(byNumber) && byNumber >= 1 && byNumber <= 1_000_000;

  return (
    <>
      <Button variant="ghost" size="sm" className="-ml-2 mb-2" onClick={() => void back()}>
        <ArrowLeft /> {projectId ? t('goals.backToProject') : t('goals.backToGlobal')}
      </Button>
      <PageHeader
        title={
          <span className="flex items-center gap-2">
            <ColorDot color={g.color} className="size-3" />
            {g.name}
          </span>
        }
        description={
          <span className="flex flex-wrap items-center gap-2">
            <span className="font-mono">{g.slug}</span>
            <Badge variant="secondary">{t(`goals.types.${g.type}`)}</Badge>
          </span>
        }
        actions={
          manage && (
            <>
              <Button variant="outline" onClick={() => setEditing(true)}>
                <Pencil /> {t('common.edit')}
              </Button>
              <Button variant="outline" onClick={() => setDeleting(true)}>
                <Trash2 /> {t('common.delete')}
              </Button>
            </>
          )
        }
      />
      {g.description && <p className="-mt-3 mb-6 max-w-2xl text-sm text-muted-foreground">{g.description}</p>}
      <div className="grid gap-4 lg:grid-cols-[16rem_1fr]">
        <div className="grid content-start gap-4">
          <Card>
            <CardHeader>
              <CardDescription>{t('goals.page.total')}</CardDescription>
              <CardTitle className="text-4xl tabular-nums" data-testid="goal-total">
                {format.number(g.total)}
              </CardTitle>
            </CardHeader>
          </Card>
          {projectId && (
            <Card>
              <CardHeader>
                <CardTitle className="text-base">{t('goals.page.tryIt')}</CardTitle>
                <CardDescription>{t('goals.page.tryItHint')}</CardDescription>
              </CardHeader>
              <CardContent>
                <form
                  className="grid gap-1.5"
                  onSubmit={(e) => {
                    e.preventDefault();
                    if (!byValid) return;
                    increment.mutate(byNumber, {
                      onSuccess: (r) =>
                        toast.success(t('goals.page.incremented', { by: format.number(r.by) })),
                    });
                  }}
                >
                  <Label htmlFor="increment-by">{t('goals.page.by')}</Label>
                  <div className="flex gap-2">
                    <Input
                      id="increment-by"
                      inputMode="numeric"
                      className="min-w-0 flex-1"
                      value={by}
                      onChange={(e) => setBy(e.target.value)}
                      aria-invalid={!byValid}
                    />
                    <Button type="submit" disabled={!byValid || increment.isPending}>
                      <Plus /> {t('goals.page.increment')}
                    </Button>
                  </div>
                </form>
                {!byValid && <p className="mt-2 text-sm text-destructive">{t('goals.page.byRule')}</p>}
              </CardContent>
            </Card>
          )}
        </div>
        <Card>
          <CardHeader className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
            <div className="grid gap-1.5">
              <CardTitle className="text-base">{t('goals.page.daily')}</CardTitle>
              <CardDescription>
                {g.type === 'daily_counter' ? t('goals.page.dailyHint') : t('goals.page.counterHint')}
              </CardDescription>
            </div>
            {g.type === 'daily_counter' && (
              <fieldset className="flex flex-wrap gap-1">
                <legend className="sr-only">{t('goals.page.range')}</legend>
                {RANGES.map((days) => {
                  const active = !search.from && !search.to && (search.days ?? 30) === days;
                  return (
                    <Button
                      key={days}
                      size="sm"
                      variant={active ? 'secondary' : 'ghost'}
                      aria-pressed={active}
                      onClick={() => void setSearch({ days })}
                    >
                      {t('goals.page.days', { count: days })}
                    </Button>
                  );
                })}
              </fieldset>
            )}
          </CardHeader>
          {g.type === 'daily_counter' && (
            <CardContent className="grid gap-4">
              <div className="flex flex-wrap items-end gap-3 text-sm">
                <div className="grid gap-1.5">
                  <Label htmlFor="range-from">{t('goals.page.from')}</Label>
                  <Input
                    id="range-from"
                    type="date"
                    className="w-40"
                    value={stats.data?.from ?? range.from ?? ''}
                    onChange={(e) =>
                      e.target.value &&
                      void setSearch({
                        ...search,
                        days: undefined,
                        from: e.target.value,
                        to: stats.data?.to ?? range.to,
                      })
                    }
                  />
                </div>
                <div className="grid gap-1.5">
                  <Label htmlFor="range-to">{t('goals.page.to')}</Label>
                  <Input
                    id="range-to"
                    type="date"
                    className="w-40"
                    value={stats.data?.to ?? range.to ?? ''}
                    onChange={(e) =>
                      e.target.value &&
                      void setSearch({
                        ...search,
                        days: undefined,
                        from: stats.data?.from ?? range.from,
                        to: e.target.value,
                      })
                    }
                  />
                </div>
              </div>
              {stats.isPending && <Skeleton className="h-56" />}
              {stats.isError && <QueryError error={stats.error} onRetry={() => void stats.refetch()} />}
              {stats.data?.days && (
                <BarChart
                  days={stats.data.days}
                  color={hex}
                  label={t('goals.page.chartLabel', { name: g.name })}
                />
              )}
            </CardContent>
          )}
        </Card>
      </div>
      <GoalFormDialog
        open={editing}
        onOpenChange={setEditing}
        projectId={projectId}
        goal={g}
        {...(project.data ? { projectSlug: project.data.slug } : {})}
      />
      <DeleteGoalDialog goal={deleting ? g : null} onOpenChange={setDeleting} onDeleted={() => void back()} />
    </>
  );
}
