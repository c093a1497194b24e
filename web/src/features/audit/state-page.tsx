import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { ChevronLeft, History, Search } from 'lucide-react';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '@/components/empty-state';
import { JsonBlock } from '@/components/json-block';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Skeleton } from '@/components/ui/skeleton';
import { useFormat } from '@/lib/format';
import { useAuditState } from './queries';

const route = getRouteApi('/app/audit/state');

const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** The top-level fields that differ between two states of one entity. */
function differences(then: unknown, now: unknown): { field: string; before: unknown; current: unknown }[] {
  if (!then || !now || typeof then !== 'object' || typeof now !== 'object') return [];
  const a = then as Record<string, unknown>;
  const b = now as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((field) => ({ field, before: a[field], current: b[field] }));
}

/** Time travel: an entity (its stream) as it was at an event position or a time, beside how it is now. */
export function AuditStatePage() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const { stream, at } = route.useSearch();
  const [draft, setDraft] = useState({ stream: stream ?? '', at: at ?? '' });
  useEffect(() => setDraft({ stream: stream ?? '', at: at ?? '' }), [stream, at]);
  const then = useAuditState(stream ?? null, at ?? null);
  const now = useAuditState(at ? (stream ?? null) : null, null);
  const diff = then.data && now.data ? differences(then.data.state, now.data.state) : [];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const s = draft.stream.trim();
    const a = draft.at.trim();
    void navigate({ to: '/audit/state', search: { ...(s ? { stream: s } : {}), ...(a ? { at: a } : {}) } });
  };

  return (
    <>
      <Link
        to="/audit"
        className="mb-2 inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground"
      >
        <ChevronLeft className="size-4" /> {t('audit.title')}
      </Link>
      <PageHeader title={t('audit.state.title')} description={t('audit.state.subtitle')} />
      <Card className="mb-4 py-4">
        <CardContent className="px-4">
          <form
            onSubmit={submit}
            className="grid gap-3 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)_auto] sm:items-end"
          >
            <div className="grid min-w-0 gap-1.5">
              <Label htmlFor="state-stream">{t('audit.state.stream')}</Label>
              <Input
                id="state-stream"
                className="font-mono"
                placeholder="project-…"
                value={draft.stream}
                onChange={(e) => setDraft({ ...draft, stream: e.target.value })}
              />
            </div>
            <div className="grid min-w-0 gap-1.5">
              <Label htmlFor="state-at">{t('audit.state.at')}</Label>
              <Input
                id="state-at"
                className="font-mono"
                placeholder={t('audit.state.atPlaceholder')}
                value={draft.at}
                onChange={(e) => setDraft({ ...draft, at: e.target.value })}
              />
            </div>
            <Button type="submit" disabled={!draft.stream.trim()}>
              <Search /> {t('audit.state.show')}
            </Button>
          </form>
        </CardContent>
      </Card>
      {!stream && (
        <EmptyState
          icon={History}
          title={t('audit.state.emptyTitle')}
          description={t('audit.state.emptyBody')}
        />
      )}
      {stream && then.isPending && <Skeleton className="h-64" />}
      {then.isError && <QueryError error={then.error} onRetry={() => void then.refetch()} />}
      {then.data && (
        <div className="grid gap-4 lg:grid-cols-2 lg:items-start">
          <Card className="gap-3" data-testid="state-then">
            <CardHeader>
              <CardTitle>
                {at ? t('audit.state.then') : t('audit.state.now')}
                <span className="ml-2 font-normal text-muted-foreground">{then.data.entity}</span>
              </CardTitle>
              <CardDescription>
                {then.data.asOf
                  ? t('audit.state.asOf', {
                      position: then.data.asOf.position,
                      type: then.data.asOf.type,
                      time: format.dateTime(then.data.asOf.time),
                    })
                  : t('audit.state.notYet')}
              </CardDescription>
            </CardHeader>
            <CardContent>
              <JsonBlock value={then.data.state} testId="state-json" />
            </CardContent>
          </Card>
          {at && (
            <Card className="gap-3" data-testid="state-diff">
              <CardHeader>
                <CardTitle>{t('audit.state.sinceThen')}</CardTitle>
                <CardDescription>
                  {now.data?.asOf
                    ? t('audit.state.asOf', {
                        position: now.data.asOf.position,
                        type: now.data.asOf.type,
                        time: format.dateTime(now.data.asOf.time),
                      })
                    : ''}
                </CardDescription>
              </CardHeader>
              <CardContent>
                {now.isPending && <Skeleton className="h-24" />}
                {now.data && diff.length === 0 && (
                  <p className="text-sm text-muted-foreground">{t('audit.state.unchanged')}</p>
                )}
                {diff.length > 0 && (
                  <div className="overflow-x-auto rounded-lg border">
                    <table className="w-full text-xs">
                      <thead className="bg-muted/50 text-muted-foreground">
                        <tr>
                          <th className="px-3 py-1.5 text-left font-medium">{t('audit.entry.field')}</th>
                          <th className="px-3 py-1.5 text-left font-medium">{t('audit.state.then')}</th>
                          <th className="px-3 py-1.5 text-left font-medium">{t('audit.state.now')}</th>
                        </tr>
                      </thead>
                      <tbody className="divide-y font-mono">
                        {diff.map((d) => (
                          <tr key={d.field}>
                            <td className="px-3 py-1.5 align-top">{d.field}</td>
                            <td className="px-3 py-1.5 align-top break-all">{show(d.before)}</td>
                            <td className="px-3 py-1.5 align-top break-all">{show(d.current)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </CardContent>
            </Card>
          )}
        </div>
      )}
    </>
  );
}
