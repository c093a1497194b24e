import { Plus, X } from 'lucide-react';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { CopyButton } from '@/components/copy-button';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Switch } from '@/components/ui/switch';
import { problemMessage } from '@/lib/problem-message';
import { CronPreview } from './cron-preview';
import { useEventTypes, useUpdateWorker, type Worker } from './queries';

const EVENT_TYPE = /^[A-Z][A-Za-z0-9]{0,63}$/;
type Limits = { cpuMs: string; memoryMb: string; wallMs: string; concurrency: string };

/** The `curl` that calls the worker's HTTP trigger with the project's API key. */
export function curlExample(url: string): string {
  return [
    `curl -X POST '${url}' \\`,
    `  -H 'X-Api-Key: $M3M_API_KEY' \\`,
    `  -H 'Content-Type: application/json' -d '{"hello": "world"}'`,
  ].join('\n');
}

export function TriggersTab({
  projectId,
  worker,
  manage,
}: {
  projectId: string;
  worker: Worker;
  manage: boolean;
}) {
  const { t } = useTranslation();
  const update = useUpdateWorker(projectId, worker.id);
  const eventTypes = useEventTypes(projectId);
  const listId = useId();
  const [enabled, setEnabled] = useState(worker.enabled);
  const [http, setHttp] = useState(worker.triggers.http);
  const [events, setEvents] = useState<string[]>(worker.triggers.events);
  const [adding, setAdding] = useState('');
  const [cron, setCron] = useState(worker.triggers.cron ?? '');
  const limitText = (n: number | undefined) => (n === undefined ? '' : String(n));
  const [limits, setLimits] = useState<Limits>({
    cpuMs: limitText(worker.limits.cpuMs),
    memoryMb: limitText(worker.limits.memoryMb),
    wallMs: limitText(worker.limits.wallMs),
    concurrency: limitText(worker.limits.concurrency),
  });
  const [error, setError] = useState<string | null>(null);

  // Back to what is saved when that changes (a save, another tab), not on every reload of the worker: a
  // refetch (window focus, a draft saved) would otherwise wipe what the person is typing.
  const saved = JSON.stringify([worker.enabled, worker.triggers]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `saved` stands for the fields read here.
  useEffect(() => {
    setEnabled(worker.enabled);
    setHttp(worker.triggers.http);
    setEvents(worker.triggers.events);
    setCron(worker.triggers.cron ?? '');
  }, [saved]);

  const url = `${window.location.origin}${worker.httpPath}`;
  const addEvent = () => {
    const type = adding.trim();
    if (!EVENT_TYPE.test(type)) {
      setError(t('workers.triggers.eventTypeInvalid'));
      return;
    }
    setError(null);
    if (!events.includes(type)) setEvents([...events, type].sort());
    setAdding('');
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const toLimit = (s: string) => (s.trim() === '' ? undefined : Number(s));
    const nextLimits = Object.fromEntries(
      Object.entries(limits)
        .map(([k, v]) => [k, toLimit(v)] as const)
        .filter(([, v]) => v !== undefined),
    );
    try {
      await update.mutateAsync({
        enabled,
        triggers: { http, events, cron: cron.trim() === '' ? null : cron.trim() },
        limits: nextLimits,
      });
      toast.success(t('workers.triggers.saved'));
    } catch (err) {
      setError(problemMessage(t, err));
    }
  };

  const known = [...(eventTypes.data?.custom ?? []), ...(eventTypes.data?.builtIn ?? [])];
  return (
    <form className="grid gap-4" onSubmit={(e) => void onSubmit(e)} noValidate>
      <Card>
        <CardHeader>
          <CardTitle>{t('workers.triggers.enabledTitle')}</CardTitle>
          <CardDescription>{t('workers.triggers.enabledHint')}</CardDescription>
        </CardHeader>
        <CardContent>
          <div className="flex items-center gap-3">
            <Switch id="worker-enabled" checked={enabled} onCheckedChange={setEnabled} disabled={!manage} />
            <Label htmlFor="worker-enabled">
              {enabled ? t('workers.triggers.on') : t('workers.triggers.off')}
            </Label>
          </div>
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle>{t('workers.triggers.httpTitle')}</CardTitle>
          <CardDescription>{t('workers.triggers.httpHint')}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-3">
          <div className="flex items-center gap-3">
            <Switch id="worker-http" checked={http} onCheckedChange={setHttp} disabled={!manage} />
            <Label htmlFor="worker-http">{t('workers.triggers.httpSwitch')}</Label>
          </div>
          {http && (
            <div className="grid min-w-0 grid-cols-[minmax(0,1fr)] gap-2">
              <div className="flex min-w-0 items-center gap-2">
                <code
                  className="min-w-0 flex-1 truncate rounded-md border bg-muted/50 px-3 py-2 font-mono text-xs"
                  data-testid="http-url"
                >
                  {url}
                </code>
                <CopyButton text={url} label={t('workers.triggers.copyUrl')} />
              </div>
              <div className="relative min-w-0 rounded-lg border bg-muted/50">
                <pre
                  className="overflow-x-auto p-4 pr-24 font-mono text-xs leading-relaxed"
                  data-testid="http-curl"
                >
                  {curlExample(url)}
                </pre>
                <div className="absolute top-2 right-2">
                  <CopyButton text={curlExample(url)} label={t('workers.triggers.copyCurl')} />
                </div>
              </div>
              <p className="text-xs text-muted-foreground">{t('workers.triggers.apiKeyHint')}</p>
            </div>
          )}
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle>{t('workers.triggers.eventsTitle')}</CardTitle>
          <CardDescription>{t('workers.triggers.eventsHint')}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-3">
          <div className="flex flex-wrap gap-1.5" data-testid="event-types">
            {events.length === 0 && (
              <span className="text-sm text-muted-foreground">{t('workers.triggers.noEvents')}</span>
            )}
            {events.map((type) => (
              <span
                key={type}
                className="inline-flex items-center gap-1 rounded-md border bg-muted/50 py-0.5 pr-1 pl-2 font-mono text-xs"
              >
                {type}
                {manage && (
                  <button
                    type="button"
                    className="rounded p-0.5 hover:bg-muted"
                    aria-label={t('workers.triggers.removeEvent', { type })}
                    onClick={() => setEvents(events.filter((e) => e !== type))}
                  >
                    <X className="size-3" />
                  </button>
                )}
              </span>
            ))}
          </div>
          {manage && (
            <div className="flex gap-2">
              <Input
                list={listId}
                value={adding}
                onChange={(e) => setAdding(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    addEvent();
                  }
                }}
                placeholder={t('workers.triggers.eventPlaceholder')}
                aria-label={t('workers.triggers.eventPlaceholder')}
                className="font-mono"
              />
              <datalist id={listId}>
                {known.map((type) => (
                  <option key={type} value={type} />
                ))}
              </datalist>
              <Button type="button" variant="outline" onClick={addEvent}>
                <Plus /> {t('workers.triggers.addEvent')}
              </Button>
            </div>
          )}
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle>{t('workers.triggers.cronTitle')}</CardTitle>
          <CardDescription>{t('workers.triggers.cronHint')}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-3">
          <Input
            value={cron}
            onChange={(e) => setCron(e.target.value)}
            placeholder="*/15 * * * *"
            aria-label={t('workers.triggers.cronTitle')}
            className="font-mono"
            disabled={!manage}
          />
          <CronPreview expression={cron} />
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle>{t('workers.triggers.limitsTitle')}</CardTitle>
          <CardDescription>{t('workers.triggers.limitsHint')}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
          {(['cpuMs', 'wallMs', 'memoryMb', 'concurrency'] as const).map((key) => (
            <div key={key} className="grid gap-1.5">
              <Label htmlFor={`limit-${key}`}>{t(`workers.triggers.limits.${key}`)}</Label>
              <Input
                id={`limit-${key}`}
                inputMode="numeric"
                value={limits[key]}
                placeholder={String(worker.effectiveLimits[key])}
                onChange={(e) => setLimits({ ...limits, [key]: e.target.value })}
                disabled={!manage}
                {...(key === 'concurrency' ? { 'aria-describedby': 'limit-concurrency-hint' } : {})}
              />
            </div>
          ))}
          <p
            id="limit-concurrency-hint"
            className="text-xs text-muted-foreground sm:col-span-2 lg:col-span-4"
          >
            {t('workers.triggers.concurrencyHint')}
          </p>
        </CardContent>
      </Card>

      {error && (
        <p className="text-sm text-destructive" role="alert" data-testid="triggers-error">
          {error}
        </p>
      )}
      {manage && (
        <div className="flex justify-end">
          <Button type="submit" disabled={update.isPending}>
            {t('workers.triggers.save')}
          </Button>
        </div>
      )}
    </form>
  );
}
