import { Link } from '@tanstack/react-router';
import { Pause, Play } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { QueryError } from '@/components/query-error';
import { Button } from '@/components/ui/button';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { Skeleton } from '@/components/ui/skeleton';
import { useFormat } from '@/lib/format';
import { cn } from '@/lib/utils';
import { LogLines, OutcomeBadge } from './invocation-parts';
import { type StreamState, useInvocationStream } from './invocation-stream';
import { type Invocation, type Outcome, type Trigger, useInvocations, type Worker } from './queries';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];
const OUTCOMES: Outcome[] = ['ok', 'error', 'timeout', 'cpu_limit', 'memory_limit', 'crashed'];
const TRIGGERS: Trigger[] = ['manual', 'http', 'event', 'schedule'];
const ALL = 'all';

function StreamIndicator({ state }: { state: StreamState }) {
  const { t } = useTranslation();
  return (
    <span
      className="flex items-center gap-1.5 text-sm text-muted-foreground"
      data-testid="stream-state"
      data-state={state}
    >
      <span
        className={cn(
          'size-2 rounded-full',
          state === 'live'
            ? 'animate-pulse bg-emerald-500'
            : state === 'closed'
              ? 'bg-destructive'
              : 'bg-amber-500',
        )}
      />
      {t(`workers.logs.state.${state}`)}
    </span>
  );
}

/** The invocation stream with filters; each record links to its full page. */
export function LogsTab({ projectId, worker }: { projectId: string; worker: Worker }) {
  const { t } = useTranslation();
  const format = useFormat();
  const history = useInvocations(projectId, worker.id, {});
  const [paused, setPaused] = useState(false);
  const { records, state } = useInvocationStream(projectId, worker.id, history.data, paused);
  const [level, setLevel] = useState<Level>('debug');
  const [outcome, setOutcome] = useState<Outcome | typeof ALL>(ALL);
  const [trigger, setTrigger] = useState<Trigger | typeof ALL>(ALL);

  const minLevel = LEVELS.indexOf(level);
  const shown = records
    .filter((r) => outcome === ALL || r.outcome === outcome)
    .filter((r) => trigger === ALL || r.trigger === trigger)
    .map((r) => ({ ...r, logs: r.logs.filter((l) => LEVELS.indexOf(l.level) >= minLevel) }))
    .filter((r) => level === 'debug' || r.logs.length > 0);

  return (
    <div className="grid gap-4">
      <div className="flex flex-wrap items-center gap-2">
        <FilterSelect
          label={t('workers.logs.level')}
          value={level}
          onChange={(v) => setLevel(v as Level)}
          options={LEVELS.map((l) => ({ value: l, label: t('workers.logs.levelAtLeast', { level: l }) }))}
        />
        <FilterSelect
          label={t('workers.logs.trigger')}
          value={trigger}
          onChange={(v) => setTrigger(v as Trigger | typeof ALL)}
          options={[
            { value: ALL, label: t('workers.logs.anyTrigger') },
            ...TRIGGERS.map((x) => ({ value: x, label: t(`workers.trigger.${x}`) })),
          ]}
        />
        <FilterSelect
          label={t('workers.logs.outcome')}
          value={outcome}
          onChange={(v) => setOutcome(v as Outcome | typeof ALL)}
          options={[
            { value: ALL, label: t('workers.logs.anyOutcome') },
            ...OUTCOMES.map((x) => ({ value: x, label: t(`workers.outcome.${x}`) })),
          ]}
        />
        <div className="ml-auto flex items-center gap-3">
          <StreamIndicator state={state} />
          <Button variant="outline" size="sm" onClick={() => setPaused(!paused)} data-testid="pause-button">
            {paused ? <Play /> : <Pause />}
            {paused ? t('workers.logs.resume') : t('workers.logs.pause')}
          </Button>
        </div>
      </div>
      {history.isError && <QueryError error={history.error} onRetry={() => void history.refetch()} />}
      {history.isPending && <Skeleton className="h-40" />}
      {history.data && shown.length === 0 && (
        <p className="rounded-lg border border-dashed p-8 text-center text-sm text-muted-foreground">
          {t('workers.logs.empty')}
        </p>
      )}
      <ul className="grid gap-2" data-testid="invocation-list">
        {shown.map((r) => (
          <InvocationRow key={r.id} projectId={projectId} record={r} format={format} />
        ))}
      </ul>
    </div>
  );
}

function InvocationRow({
  projectId,
  record,
  format,
}: {
  projectId: string;
  record: Invocation;
  format: ReturnType<typeof useFormat>;
}) {
  const { t } = useTranslation();
  return (
    <li className="rounded-lg border bg-card p-3" data-testid="invocation-row">
      <Link
        to="/projects/$projectId/workers/$workerId/invocations/$invocationId"
        params={{ projectId, workerId: record.workerId, invocationId: record.id }}
        className="mb-2 flex flex-wrap items-center gap-x-3 gap-y-1 text-sm hover:underline"
      >
        <span className="font-mono text-xs text-muted-foreground">{format.dateTime(record.startedAt)}</span>
        <OutcomeBadge outcome={record.outcome} />
        <span>{t(`workers.trigger.${record.trigger}`)}</span>
        <span className="text-muted-foreground">
          {t('workers.run.duration', { ms: format.ms(record.durationMs) })}
        </span>
        <span className="text-muted-foreground">
          {t('workers.status.version', { version: record.version })}
        </span>
      </Link>
      {record.logs.length > 0 && <LogLines logs={record.logs} />}
      {record.error && (
        <p className="mt-1 font-mono text-xs text-destructive">
          {record.error.name}: {record.error.message}
        </p>
      )}
    </li>
  );
}

function FilterSelect({
  label,
  value,
  onChange,
  options,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: { value: string; label: string }[];
}) {
  return (
    <Select value={value} onValueChange={onChange}>
      <SelectTrigger className="h-8 w-auto min-w-36" aria-label={label}>
        <SelectValue />
      </SelectTrigger>
      <SelectContent>
        {options.map((o) => (
          <SelectItem key={o.value} value={o.value}>
            {o.label}
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  );
}
