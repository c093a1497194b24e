import { Loader2, Play } from 'lucide-react';
import { Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { useFormat } from '@/lib/format';
import { problemMessage } from '@/lib/problem-message';
import { LazyJsonEditor } from './editor/lazy';
import { ErrorBlock, JsonBlock, LogLines, OutcomeBadge } from './invocation-parts';
import { type RunResult, useRunWorker, type Worker } from './queries';

/** Runs the deployed `run` handler with a JSON input; shows the result, its logs and how long it took. */
export function RunTab({ projectId, worker }: { projectId: string; worker: Worker }) {
  const { t } = useTranslation();
  const format = useFormat();
  const run = useRunWorker(projectId, worker.id);
  const [input, setInput] = useState('{\n  "hello": "world"\n}\n');
  const [inputError, setInputError] = useState<string | null>(null);
  const [result, setResult] = useState<RunResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const onRun = async () => {
    let parsed: unknown;
    try {
      parsed = input.trim() === '' ? undefined : JSON.parse(input);
    } catch (error) {
      setInputError(t('workers.run.invalidJson', { message: error instanceof Error ? error.message : '' }));
      return;
    }
    setInputError(null);
    setFailure(null);
    try {
      setResult(await run.mutateAsync(parsed));
    } catch (error) {
      setResult(null);
      setFailure(problemMessage(t, error));
    }
  };

  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <Card>
        <CardHeader>
          <CardTitle>{t('workers.run.input')}</CardTitle>
        </CardHeader>
        <CardContent className="grid gap-3">
          <Suspense fallback={<Skeleton className="h-[220px]" />}>
            <LazyJsonEditor
              path={`file:///run/${worker.id}/input.json`}
              value={input}
              onChange={setInput}
              height="220px"
              label={t('workers.run.input')}
            />
          </Suspense>
          {inputError && (
            <p className="text-sm text-destructive" role="alert">
              {inputError}
            </p>
          )}
          {worker.activeVersion === null && (
            <p className="text-sm text-muted-foreground">{t('workers.run.notDeployed')}</p>
          )}
          <div className="flex justify-end">
            <Button onClick={() => void onRun()} disabled={run.isPending} data-testid="run-button">
              {run.isPending ? <Loader2 className="animate-spin" /> : <Play />}
              {t('workers.run.action')}
            </Button>
          </div>
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>{t('workers.run.result')}</CardTitle>
        </CardHeader>
        <CardContent className="grid gap-3" data-testid="run-result">
          {!result && !failure && (
            <p className="text-sm text-muted-foreground">{t('workers.run.nothingYet')}</p>
          )}
          {failure && (
            <p className="text-sm text-destructive" role="alert">
              {failure}
            </p>
          )}
          {result && (
            <>
              <div className="flex flex-wrap items-center gap-2 text-sm">
                <OutcomeBadge outcome={result.outcome} />
                <span className="text-muted-foreground" data-testid="run-duration">
                  {t('workers.run.duration', { ms: format.ms(result.durationMs) })}
                </span>
                <span className="text-muted-foreground">
                  {t('workers.status.version', { version: result.version })}
                </span>
              </div>
              {result.error ? (
                <ErrorBlock error={result.error} />
              ) : (
                <JsonBlock value={result.result} testId="run-output" />
              )}
              <div className="text-sm font-medium">{t('workers.run.logs')}</div>
              <LogLines logs={result.logs} />
            </>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
