import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import type { Project } from '@/api/types';
import { ColorDot } from '@/components/color-dot';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { GoalSparkline } from '@/features/goals/goal-sparkline';
import { useProjectGoals } from '@/features/goals/queries';
import { useFormat } from '@/lib/format';

const SHOWN_GOALS = 4;

/** A project at a glance: its colour, and its first goals with their totals and last 30 days. */
export function ProjectCard({ project }: { project: Project }) {
  const { t } = useTranslation();
  const format = useFormat();
  const goals = useProjectGoals(project.id);
  const more = (goals.data?.length ?? 0) - SHOWN_GOALS;
  return (
    <Link
      to="/projects/$projectId"
      params={{ projectId: project.id }}
      className="rounded-xl outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50"
      data-testid="project-card"
    >
      <Card className="h-full gap-4 overflow-hidden pt-0 transition-colors hover:bg-accent/30">
        <ColorBar color={project.color} />
        <CardHeader>
          <CardTitle className="flex items-center gap-2">
            <ColorDot color={project.color} /> <span className="truncate">{project.name}</span>
          </CardTitle>
          <CardDescription className="font-mono text-xs">{project.slug}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-2">
          {goals.isPending && <Skeleton className="h-16" />}
          {goals.data?.length === 0 && (
            <p className="text-sm text-muted-foreground">{t('home.card.noGoals')}</p>
          )}
          {goals.data?.slice(0, SHOWN_GOALS).map((goal) => (
            <div key={goal.id} className="grid grid-cols-[1fr_auto_auto] items-center gap-3 text-sm">
              <span className="flex min-w-0 items-center gap-2">
                <ColorDot color={goal.color} />
                <span className="truncate">{goal.name}</span>
              </span>
              <GoalSparkline goal={goal} className="h-6 w-20" />
              <span className="min-w-12 text-right font-medium tabular-nums">
                {format.number(goal.total)}
              </span>
            </div>
          ))}
          {more > 0 && (
            <p className="text-xs text-muted-foreground">{t('home.card.more', { count: more })}</p>
          )}
        </CardContent>
      </Card>
    </Link>
  );
}

function ColorBar({ color }: { color: string | null }) {
  return <ColorDot color={color} className="block h-1.5 w-full rounded-none" />;
}
