import { Check, FolderPlus, Send, Target } from 'lucide-react';
import { lazy, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Project } from '@/api/types';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { useProjectGoals } from '@/features/goals/queries';
import type { CreatedProject } from '@/features/projects/create-project-dialog';
import { IncrementSnippet } from '@/features/projects/increment-snippet';
import { cn } from '@/lib/utils';

// Forms load when their dialog opens (zod and react-hook-form stay out of the home page's first load).
const CreateProjectDialog = lazy(() =>
  import('@/features/projects/create-project-dialog').then((m) => ({ default: m.CreateProjectDialog })),
);
const GoalFormDialog = lazy(() =>
  import('@/features/goals/goal-form-dialog').then((m) => ({ default: m.GoalFormDialog })),
);

/**
 * A fresh install's guide: create a project, define a goal, send an increment with curl (filled in with this
 * server's address, the project's goal and, right after creation, its key). Each step ticks as it is done.
 */
export function FirstSteps({
  project,
  canCreate,
  created,
  onCreated,
}: {
  project: Project | null;
  canCreate: boolean;
  created: CreatedProject | null;
  onCreated: (project: CreatedProject) => void;
}) {
  const { t } = useTranslation();
  const [creating, setCreating] = useState(false);
  const [defining, setDefining] = useState(false);
  const goals = useProjectGoals(project?.id ?? '');
  const goal = project ? goals.data?.[0] : undefined;
  const counted = (goals.data ?? []).some((g) => g.total > 0);
  const apiKey = created && project && created.id === project.id ? created.apiKey : null;

  return (
    <Card className="mb-8" data-testid="first-steps">
      <CardHeader>
        <CardTitle>{t('home.steps.title')}</CardTitle>
        <CardDescription>{t('home.steps.subtitle')}</CardDescription>
      </CardHeader>
      <CardContent>
        <ol className="grid gap-6">
          <Step
            n={1}
            done={!!project}
            icon={FolderPlus}
            title={t('home.steps.project')}
            hint={t('home.steps.projectHint')}
          >
            {!project &&
              (canCreate ? (
                <Button onClick={() => setCreating(true)}>{t('home.steps.createProject')}</Button>
              ) : (
                <p className="text-sm text-muted-foreground">{t('home.steps.askForProject')}</p>
              ))}
            {project && (
              <p className="text-sm text-muted-foreground">
                {t('home.steps.projectDone', { name: project.name, slug: project.slug })}
              </p>
            )}
          </Step>
          <Step
            n={2}
            done={!!goal}
            icon={Target}
            title={t('home.steps.goal')}
            hint={t('home.steps.goalHint')}
          >
            {project && !goal && (
              <Button onClick={() => setDefining(true)}>{t('home.steps.defineGoal')}</Button>
            )}
            {goal && (
              <p className="text-sm text-muted-foreground">{t('home.steps.goalDone', { slug: goal.slug })}</p>
            )}
          </Step>
          <Step
            n={3}
            done={counted}
            icon={Send}
            title={t('home.steps.increment')}
            hint={t('home.steps.incrementWhy')}
          >
            {goal && (
              <>
                <p className="mb-2 text-sm text-muted-foreground">{t('home.steps.incrementHint')}</p>
                <div className="w-full">
                  <IncrementSnippet goalSlug={goal.slug} apiKey={apiKey} />
                </div>
              </>
            )}
          </Step>
        </ol>
      </CardContent>
      <Suspense>
        {creating && <CreateProjectDialog open onOpenChange={setCreating} onCreated={onCreated} />}
        {project && defining && (
          <GoalFormDialog open onOpenChange={setDefining} projectId={project.id} projectSlug={project.slug} />
        )}
      </Suspense>
    </Card>
  );
}

function Step({
  n,
  done,
  icon: Icon,
  title,
  hint,
  children,
}: {
  n: number;
  done: boolean;
  icon: typeof Target;
  title: string;
  hint: string;
  children?: React.ReactNode;
}) {
  return (
    <li className="grid grid-cols-[2rem_1fr] gap-3" data-done={done}>
      <span
        className={cn(
          'flex size-8 items-center justify-center rounded-full border text-sm font-medium',
          done && 'border-transparent bg-emerald-600 text-white',
        )}
        aria-hidden
      >
        {done ? <Check className="size-4" /> : n}
      </span>
      <div className="grid min-w-0 grid-cols-[minmax(0,1fr)] justify-items-start gap-2 pt-1">
        <div className="flex items-center gap-2 font-medium">
          <Icon className="size-4 text-muted-foreground" /> {title}
        </div>
        {!done && <p className="-mt-1 text-sm text-muted-foreground">{hint}</p>}
        {children}
      </div>
    </li>
  );
}
