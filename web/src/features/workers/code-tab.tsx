import { CloudUpload, Loader2 } from 'lucide-react';
import { Suspense, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { ApiError } from '@/api/problem';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { Skeleton } from '@/components/ui/skeleton';
import { useEnvironment } from '@/features/environment/queries';
import { useProjectGoals } from '@/features/goals/queries';
import { problemMessage } from '@/lib/problem-message';
import { LazyCodeEditor, loadEditorHelpers } from './editor/lazy';
import type { SourceMarker } from './editor/monaco-editors';
import type { StringCompletions } from './editor/string-arguments';
import { type Language, useDeploy, useRuntimeDts, useUpdateWorker, type Worker } from './queries';
import type { Draft, DraftStatus } from './use-draft';

/** A refused deploy says `Line 3, column 7: Unexpected token` in its field error. */
export function markerOf(error: unknown): SourceMarker | null {
  if (!(error instanceof ApiError) || error.code !== 'syntax_error') return null;
  const text = error.errors[0]?.message ?? error.detail ?? '';
  const match = /Line (\d+), column (\d+): ([\s\S]*)/.exec(text);
  if (!match) return null;
  return { line: Number(match[1]), column: Number(match[2]), message: match[3] ?? text };
}

export function DraftStatusLabel({ status }: { status: DraftStatus }) {
  const { t } = useTranslation();
  return (
    <span
      className="flex items-center gap-1.5 text-xs text-muted-foreground"
      data-testid="draft-status"
      data-status={status}
    >
      <span
        className={
          status === 'saved'
            ? 'size-2 rounded-full bg-emerald-500'
            : status === 'failed'
              ? 'size-2 rounded-full bg-destructive'
              : 'size-2 rounded-full bg-amber-500'
        }
      />
      {t(`workers.draft.${status}`)}
    </span>
  );
}

/** The names a worker of this project addresses by string: its variables and the goals it may increment. */
function useStringCompletions(projectId: string): StringCompletions | undefined {
  const { t } = useTranslation();
  const environment = useEnvironment(projectId);
  const goals = useProjectGoals(projectId);
  return useMemo(
    () =>
      environment.data || goals.data
        ? {
            envNames: (environment.data ?? []).map((v) => v.name),
            // A project goal is incremented by its short slug, a global one by its own.
            goalSlugs: (goals.data ?? []).map((g) => (g.projectId ? g.goalSlug : g.slug)),
            envDetail: t('workers.completions.env'),
            goalDetail: t('workers.completions.goal'),
          }
        : undefined,
    [environment.data, goals.data, t],
  );
}

export function CodeTab({
  projectId,
  worker,
  draft,
  manage,
}: {
  projectId: string;
  worker: Worker;
  draft: Draft;
  manage: boolean;
}) {
  const { t } = useTranslation();
  const deploy = useDeploy(projectId, worker.id);
  const update = useUpdateWorker(projectId, worker.id);
  const dts = useRuntimeDts(projectId);
  const [marker, setMarker] = useState<SourceMarker | null>(null);
  const [deployError, setDeployError] = useState<string | null>(null);
  const completions = useStringCompletions(projectId);

  useEffect(() => {
    if (dts.data) void loadEditorHelpers().then((m) => m.setRuntimeLibrary(dts.data));
  }, [dts.data]);

  const onDeploy = async () => {
    setDeployError(null);
    try {
      const source = await draft.flush();
      const result = await deploy.mutateAsync(source);
      setMarker(null);
      toast.success(
        result.deployed
          ? t('workers.deploy.done', { version: result.version })
          : t('workers.deploy.unchanged', { version: result.version }),
      );
    } catch (error) {
      const at = markerOf(error);
      setMarker(at);
      setDeployError(
        at
          ? t('workers.deploy.syntaxError', { line: at.line, column: at.column, message: at.message })
          : problemMessage(t, error),
      );
    }
  };

  return (
    <div className="grid gap-3">
      <div className="flex flex-wrap items-center gap-2">
        {manage ? (
          <Select value={worker.language} onValueChange={(v) => update.mutate({ language: v as Language })}>
            <SelectTrigger className="h-8 w-36" aria-label={t('workers.fields.language')}>
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value="typescript">TypeScript</SelectItem>
              <SelectItem value="javascript">JavaScript</SelectItem>
            </SelectContent>
          </Select>
        ) : (
          <Badge variant="outline">{worker.language === 'typescript' ? 'TypeScript' : 'JavaScript'}</Badge>
        )}
        {manage && <DraftStatusLabel status={draft.status} />}
        <div className="ml-auto flex items-center gap-2">
          {manage && (
            <Button onClick={() => void onDeploy()} disabled={deploy.isPending || draft.text === null}>
              {deploy.isPending ? <Loader2 className="animate-spin" /> : <CloudUpload />}
              {t('workers.deploy.action')}
            </Button>
          )}
        </div>
      </div>
      {deployError && (
        <Alert variant="destructive" data-testid="deploy-error">
          <AlertTitle>{t('workers.deploy.refused')}</AlertTitle>
          <AlertDescription className="font-mono text-xs">{deployError}</AlertDescription>
        </Alert>
      )}
      {draft.text === null ? (
        <Skeleton className="h-[60vh]" />
      ) : (
        <Suspense fallback={<Skeleton className="h-[60vh]" />}>
          <LazyCodeEditor
            path={`file:///workers/${worker.id}.${worker.language === 'typescript' ? 'ts' : 'js'}`}
            language={worker.language}
            value={draft.text}
            readOnly={!manage}
            onChange={(next) => {
              if (marker) setMarker(null);
              draft.setText(next);
            }}
            marker={marker}
            onSave={() => void draft.flush().catch(() => {})}
            completions={completions}
          />
        </Suspense>
      )}
      <p className="text-xs text-muted-foreground">{t('workers.editorHint')}</p>
    </div>
  );
}
