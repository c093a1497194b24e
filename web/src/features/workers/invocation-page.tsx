import { getRouteApi, Link } from '@tanstack/react-router';
import { ChevronLeft } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { useFormat } from '@/lib/format';
import { ErrorBlock, InputBlock, indented, JsonBlock, LogLines, OutcomeBadge } from './invocation-parts';
import { useInvocation, useVersion, useWorker } from './queries';

const route = getRouteApi('/app/projects/$projectId/workers/$workerId/invocations/$invocationId');

/** The first `worker.js:LINE:COLUMN` of a stack: where in the worker's own source it failed. */
export function sourcePositionOf(stack: string | undefined): { line: number; column: number } | null {
  const match = /worker\.js:(\d+):(\d+)/.exec(stack ?? '');
  return match ? { line: Number(match[1]), column: Number(match[2]) } : null;
}

/** One invocation's full record: what triggered it, its input, outcome, output or error (at its source line), its logs. */
export function InvocationPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { projectId, workerId, invocationId } = route.useParams();
  const worker = useWorker(projectId, workerId);
  const record = useInvocation(projectId, invocationId);
  const position = sourcePositionOf(record.data?.error?.stack);
  const version = useVersion(projectId, workerId, position ? (record.data?.version ?? null) : null);

  const back = (
    <Link
      to="/projects/$projectId/workers/$workerId"
      params={{ projectId, workerId }}
      search={{ tab: 'logs' }}
      className="mb-2 inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground"
    >
      <ChevronLeft className="size-4" /> {worker.data?.name ?? t('workers.title')}
    </Link>
  );
  if (record.isError) {
    return (
      <>
        {back}
        <QueryError error={record.error} onRetry={() => void record.refetch()} />
      </>
    );
  }
  const r = record.data;
  if (!r) return <Skeleton className="h-96" />;
  const sourceLines = version.data?.source.split('\n') ?? [];
  const facts: [string, string][] = [
    [t('workers.invocation.started'), format.dateTime(r.startedAt)],
    [t('workers.invocation.trigger'), t(`workers.trigger.${r.trigger}`)],
    [t('workers.invocation.handler'), r.handler],
    [t('workers.invocation.version'), `v${r.version}`],
    [t('workers.invocation.duration'), t('workers.run.duration', { ms: format.ms(r.durationMs) })],
    [t('workers.invocation.cpu'), t('workers.run.duration', { ms: format.ms(r.cpuMs) })],
    [
      t('workers.invocation.coldStart'),
      r.coldStart ? t('workers.invocation.yes') : t('workers.invocation.no'),
    ],
    ...(r.eventId ? ([[t('workers.invocation.event'), r.eventId]] as [string, string][]) : []),
    ...(r.scheduledAt
      ? ([[t('workers.invocation.scheduled'), format.dateTime(r.scheduledAt)]] as [string, string][])
      : []),
  ];
  return (
    <>
      {back}
      <PageHeader
        title={t('workers.invocation.title')}
        description={<code className="font-mono text-xs break-all">{r.id}</code>}
        actions={<OutcomeBadge outcome={r.outcome} />}
      />
      <div className="grid gap-4 lg:grid-cols-[280px_minmax(0,1fr)]">
        {/* As tall as its facts: stretched beside a long input it was mostly blank. */}
        <Card className="self-start">
          <CardContent>
            <dl className="grid gap-2 text-sm" data-testid="invocation-facts">
              {facts.map(([label, value]) => (
                <div key={label} className="flex justify-between gap-3">
                  <dt className="text-muted-foreground">{label}</dt>
                  <dd className="min-w-0 truncate text-right font-medium" title={value}>
                    {value}
                  </dd>
                </div>
              ))}
            </dl>
          </CardContent>
        </Card>
        <div className="grid min-w-0 content-start gap-4">
          <Card>
            <CardHeader>
              <CardTitle>{t('workers.invocation.input')}</CardTitle>
            </CardHeader>
            <CardContent>
              <InputBlock input={r.input} truncated={r.inputTruncated} />
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>
                {r.error ? t('workers.invocation.error') : t('workers.invocation.output')}
              </CardTitle>
            </CardHeader>
            <CardContent className="grid gap-3">
              {r.error ? (
                <ErrorBlock error={r.error} />
              ) : (
                <JsonBlock
                  value={r.resultPreview === null ? undefined : indented(r.resultPreview)}
                  testId="invocation-output"
                />
              )}
              {position && sourceLines.length > 0 && (
                <div className="grid gap-1" data-testid="error-source">
                  <div className="text-xs text-muted-foreground">
                    {t('workers.invocation.at', {
                      line: position.line,
                      column: position.column,
                      version: r.version,
                    })}
                  </div>
                  <pre className="overflow-x-auto rounded-lg border bg-muted/30 py-2 font-mono text-xs">
                    {sourceLines.slice(Math.max(0, position.line - 3), position.line + 2).map((text, i) => {
                      const n = Math.max(0, position.line - 3) + i + 1;
                      return (
                        <div key={n} className={n === position.line ? 'bg-destructive/10 px-3' : 'px-3'}>
                          <span className="mr-3 inline-block w-8 text-right text-muted-foreground select-none">
                            {n}
                          </span>
                          {text}
                        </div>
                      );
                    })}
                  </pre>
                </div>
              )}
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>{t('workers.run.logs')}</CardTitle>
            </CardHeader>
            <CardContent>
              <LogLines logs={r.logs} />
            </CardContent>
          </Card>
        </div>
      </div>
    </>
  );
}
