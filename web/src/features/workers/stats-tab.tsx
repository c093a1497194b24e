import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { BarChart } from '@/components/bar-chart';
import { QueryError } from '@/components/query-error';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { utcDay } from '@/features/goals/queries';
import { useFormat } from '@/lib/format';
import { useWorkerStats, type Worker } from './queries';

const RANGES = [7, 30, 90] as const;

/** Invocations, errors and p50/p95 duration per UTC day for a chosen range. */
export function StatsTab({ projectId, worker }: { projectId: string; worker: Worker }) {
  const { t } = useTranslation();
  const format = useFormat();
  const [days, setDays] = useState<(typeof RANGES)[number]>(30);
  const stats = useWorkerStats(projectId, worker.id, utcDay(days - 1), utcDay(0));
  const ms = (n: number | null) => (n === null ? '—' : t('workers.run.duration', { ms: format.ms(n) }));

  return (
    // One column that may shrink (minmax(0, 1fr)): a chart measured before its first paint never widens the page.
    <div className="grid grid-cols-[minmax(0,1fr)] gap-4">
      <fieldset className="flex flex-wrap gap-1" aria-label={t('workers.stats.range')}>
        {RANGES.map((n) => (
          <Button key={n} size="sm" variant={n === days ? 'default' : 'outline'} onClick={() => setDays(n)}>
            {t('workers.stats.days', { count: n })}
          </Button>
        ))}
      </fieldset>
      {stats.isError && <QueryError error={stats.error} onRetry={() => void stats.refetch()} />}
      {!stats.data && !stats.isError && <Skeleton className="h-80" />}
      {stats.data && (
        <>
          <div className="grid grid-cols-2 gap-3 md:grid-cols-4" data-testid="stats-totals">
            <Total
              label={t('workers.stats.invocations')}
              value={format.number(stats.data.total.invocations)}
            />
            <Total label={t('workers.stats.errors')} value={format.number(stats.data.total.errors)} />
            <Total label="p50" value={ms(stats.data.total.p50Ms)} />
            <Total label="p95" value={ms(stats.data.total.p95Ms)} />
          </div>
          <div className="grid grid-cols-[minmax(0,1fr)] gap-4 lg:grid-cols-2">
            <ChartCard title={t('workers.stats.invocations')}>
              <BarChart
                label={t('workers.stats.invocations')}
                color={null}
                days={stats.data.days.map((d) => ({ day: d.day, value: d.invocations }))}
              />
            </ChartCard>
            <ChartCard title={t('workers.stats.errors')}>
              <BarChart
                label={t('workers.stats.errors')}
                color="var(--destructive)"
                days={stats.data.days.map((d) => ({ day: d.day, value: d.errors }))}
              />
            </ChartCard>
            <ChartCard title={t('workers.stats.p50')}>
              <BarChart
                label={t('workers.stats.p50')}
                color="oklch(0.685 0.169 237.323)"
                days={stats.data.days.map((d) => ({ day: d.day, value: Math.round(d.p50Ms ?? 0) }))}
              />
            </ChartCard>
            <ChartCard title={t('workers.stats.p95')}>
              <BarChart
                label={t('workers.stats.p95')}
                color="oklch(0.769 0.188 70.08)"
                days={stats.data.days.map((d) => ({ day: d.day, value: Math.round(d.p95Ms ?? 0) }))}
              />
            </ChartCard>
          </div>
        </>
      )}
    </div>
  );
}

function Total({ label, value }: { label: string; value: string }) {
  return (
    <div className="rounded-lg border bg-card p-3">
      <div className="text-xs text-muted-foreground">{label}</div>
      <div className="text-lg font-semibold tabular-nums">{value}</div>
    </div>
  );
}

function ChartCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-sm">{title}</CardTitle>
      </CardHeader>
      <CardContent>{children}</CardContent>
    </Card>
  );
}
