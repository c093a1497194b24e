import { FlaskConical, Loader2 } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '@/components/empty-state';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Textarea } from '@/components/ui/textarea';
import { useFormat } from '@/lib/format';
import { problemMessage } from '@/lib/problem-message';
import { cn } from '@/lib/utils';
import { ErrorBlock, JsonBlock, LogLines, OutcomeBadge } from './invocation-parts';
import { type DryRunBody, type DryRunResult, useDryRun, type Worker } from './queries';
import type { Draft } from './use-draft';

type Mode = 'last' | 'range';
type Result = DryRunResult['results'][number];
type Effect = Result['effects'][number];

/** `datetime-local` wants `YYYY-MM-DDTHH:mm` in local time. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * Runs the editor's text (saved or not) against past events with every effect captured, and shows each result
 * beside what the deployed version recorded for the same event.
 */
export function DryRunTab({
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
  const dryRun = useDryRun(projectId, worker.id);
  const [mode, setMode] = useState<Mode>('last');
  const [last, setLast] = useState('5');
  const [from, setFrom] = useState(() => localInput(new Date(Date.now() - 24 * 3600 * 1000)));
  const [to, setTo] = useState(() => localInput(new Date()));
  const [types, setTypes] = useState(worker.triggers.events.join(', '));
  const [canned, setCanned] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<DryRunResult | null>(null);

  if (!manage) {
    return (
      <EmptyState
        icon={FlaskConical}
        title={t('workers.dryRun.title')}
        description={t('workers.dryRun.managersOnly')}
      />
    );
  }

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const eventTypes = types
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    let httpResponses: DryRunBody['httpResponses'];
    if (canned.trim() !== '') {
      try {
        httpResponses = JSON.parse(canned) as DryRunBody['httpResponses'];
      } catch (err) {
        setError(t('workers.run.invalidJson', { message: err instanceof Error ? err.message : '' }));
        return;
      }
    }
    const body: DryRunBody = {
      events:
        mode === 'last'
          ? { last: Number(last) }
          : { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
      ...(eventTypes.length > 0 ? { eventTypes } : {}),
      ...(httpResponses ? { httpResponses } : {}),
      ...(draft.text !== null ? { source: draft.text, language: worker.language } : {}),
    };
    try {
      setResult(await dryRun.mutateAsync(body));
    } catch (err) {
      setResult(null);
      setError(problemMessage(t, err));
    }
  };

  return (
    <div className="grid gap-4">
      <Card>
        <CardHeader>
          <CardTitle>{t('workers.dryRun.title')}</CardTitle>
          <CardDescription>{t('workers.dryRun.description')}</CardDescription>
        </CardHeader>
        <CardContent>
          <form className="grid gap-4" onSubmit={(e) => void onSubmit(e)} noValidate>
            <div className="flex flex-wrap gap-1" role="radiogroup" aria-label={t('workers.dryRun.which')}>
              {(['last', 'range'] as const).map((m) => (
                <Button
                  key={m}
                  type="button"
                  size="sm"
                  role="radio"
                  aria-checked={mode === m}
                  variant={mode === m ? 'default' : 'outline'}
                  onClick={() => setMode(m)}
                >
                  {t(`workers.dryRun.mode.${m}`)}
                </Button>
              ))}
            </div>
            <div className="grid gap-3 sm:grid-cols-2">
              {mode === 'last' ? (
                <div className="grid gap-1.5">
                  <Label htmlFor="dry-last">{t('workers.dryRun.lastN')}</Label>
                  <Input
                    id="dry-last"
                    type="number"
                    min={1}
                    max={50}
                    value={last}
                    onChange={(e) => setLast(e.target.value)}
                  />
                </div>
              ) : (
                <>
                  <div className="grid gap-1.5">
                    <Label htmlFor="dry-from">{t('workers.dryRun.from')}</Label>
                    <Input
                      id="dry-from"
                      type="datetime-local"
                      value={from}
                      onChange={(e) => setFrom(e.target.value)}
                    />
                  </div>
                  <div className="grid gap-1.5">
                    <Label htmlFor="dry-to">{t('workers.dryRun.to')}</Label>
                    <Input
                      id="dry-to"
                      type="datetime-local"
                      value={to}
                      onChange={(e) => setTo(e.target.value)}
                    />
                  </div>
                </>
              )}
              <div className="grid gap-1.5 sm:col-span-2">
                <Label htmlFor="dry-types">{t('workers.dryRun.eventTypes')}</Label>
                <Input
                  id="dry-types"
                  className="font-mono"
                  value={types}
                  placeholder="GoalIncremented, OrderPlaced"
                  onChange={(e) => setTypes(e.target.value)}
                />
              </div>
              <div className="grid gap-1.5 sm:col-span-2">
                <Label htmlFor="dry-canned">{t('workers.dryRun.canned')}</Label>
                <Textarea
                  id="dry-canned"
                  className="min-h-16 font-mono text-xs"
                  value={canned}
                  placeholder='[{ "url": "https://api.example.com/rates", "status": 200, "body": "{\"eur\": 1}" }]'
                  onChange={(e) => setCanned(e.target.value)}
                />
                <p className="text-xs text-muted-foreground">{t('workers.dryRun.cannedHint')}</p>
              </div>
            </div>
            {error && (
              <p className="text-sm text-destructive" role="alert" data-testid="dry-run-error">
                {error}
              </p>
            )}
            <div className="flex justify-end">
              <Button type="submit" disabled={dryRun.isPending} data-testid="dry-run-button">
                {dryRun.isPending ? <Loader2 className="animate-spin" /> : <FlaskConical />}
                {t('workers.dryRun.action')}
              </Button>
            </div>
          </form>
        </CardContent>
      </Card>
      {result && <DryRunResults result={result} />}
    </div>
  );
}

function DryRunResults({ result }: { result: DryRunResult }) {
  const { t } = useTranslation();
  const ok = result.results.filter((r) => r.outcome === 'ok').length;
  const effects = result.results.reduce((n, r) => n + r.effects.length, 0);
  if (result.results.length === 0) {
    return (
      <EmptyState
        icon={FlaskConical}
        title={t('workers.dryRun.noEvents')}
        description={t('workers.dryRun.noEventsBody', { types: result.eventTypes.join(', ') || '—' })}
      />
    );
  }
  return (
    <div className="grid gap-3" data-testid="dry-run-results">
      <p className="text-sm text-muted-foreground" data-testid="dry-run-summary">
        {t('workers.dryRun.summary', { count: result.results.length, ok, effects })}
        {result.truncated && ` ${t('workers.dryRun.truncated')}`}
      </p>
      {result.results.map((r) => (
        <ResultCard key={r.event.id} result={r} />
      ))}
    </div>
  );
}

function ResultCard({ result }: { result: Result }) {
  const { t } = useTranslation();
  const format = useFormat();
  const deployed = result.deployed;
  return (
    <Card className="gap-0 py-0" data-testid="dry-run-result">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 border-b px-4 py-3 text-sm">
        <span className="font-mono font-medium">{result.event.type}</span>
        <span className="text-muted-foreground">#{result.event.position}</span>
        <span className="text-muted-foreground">{format.dateTime(result.event.timestamp)}</span>
      </div>
      <div className="grid lg:grid-cols-2">
        <section className="grid content-start gap-2 p-4" aria-label={t('workers.dryRun.draftSide')}>
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <span className="font-medium">{t('workers.dryRun.draftSide')}</span>
            <OutcomeBadge outcome={result.outcome} />
            <span className="text-muted-foreground">
              {t('workers.run.duration', { ms: format.ms(result.durationMs) })}
            </span>
          </div>
          <div className="text-xs font-medium text-muted-foreground uppercase">
            {t('workers.dryRun.effects')}
          </div>
          {result.effects.length === 0 ? (
            <p className="text-sm text-muted-foreground">{t('workers.dryRun.noEffects')}</p>
          ) : (
            <ul className="grid gap-1" data-testid="effects">
              {result.effects.map((effect, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: effects are listed in the order they happened.
                <EffectLine key={i} effect={effect} />
              ))}
            </ul>
          )}
          {result.error && <ErrorBlock error={result.error} />}
          {result.logs.length > 0 && <LogLines logs={result.logs} />}
          {result.result !== undefined && <JsonBlock value={result.result} />}
        </section>
        <section
          className="grid content-start gap-2 border-t bg-muted/20 p-4 lg:border-t-0 lg:border-l"
          aria-label={t('workers.dryRun.deployedSide')}
          data-testid="deployed-side"
        >
          {deployed ? (
            <>
              <div className="flex flex-wrap items-center gap-2 text-sm">
                <span className="font-medium">
                  {t('workers.dryRun.deployedVersion', { version: deployed.version })}
                </span>
                <OutcomeBadge outcome={deployed.outcome} />
                <span className="text-muted-foreground">
                  {t('workers.run.duration', { ms: format.ms(deployed.durationMs) })}
                </span>
              </div>
              {deployed.error && <ErrorBlock error={deployed.error} />}
              {deployed.resultPreview !== null && <JsonBlock value={deployed.resultPreview} />}
            </>
          ) : (
            <p className="text-sm text-muted-foreground">{t('workers.dryRun.noRecord')}</p>
          )}
        </section>
      </div>
    </Card>
  );
}

function EffectLine({ effect }: { effect: Effect }) {
  const { kind, ...rest } = effect;
  return (
    <li className="flex min-w-0 items-start gap-2 text-xs" data-testid="effect" data-kind={kind}>
      <Badge variant="outline" className={cn('shrink-0 font-mono')}>
        {kind}
      </Badge>
      <code className="min-w-0 font-mono break-all text-muted-foreground">{JSON.stringify(rest)}</code>
    </li>
  );
}
