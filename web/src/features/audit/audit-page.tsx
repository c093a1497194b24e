import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { Download, FilterX, History, ScrollText, Search } from 'lucide-react';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Button } from '@/components/ui/button';
import { Card, CardContent } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { Skeleton } from '@/components/ui/skeleton';
import { useProject, useProjects } from '@/features/projects/queries';
import { useFormat } from '@/lib/format';
import { EntryDetail } from './entry-detail';
import { type AuditEntry, type AuditScope, type AuditSearch, useAuditExport, useAuditLog } from './queries';
import { isoToLocalInput, localInputToIso } from './time';

const adminRoute = getRouteApi('/app/audit');
const projectRoute = getRouteApi('/app/projects/$projectId/audit');

export function AdminAuditPage() {
  const search = adminRoute.useSearch();
  const navigate = useNavigate();
  return (
    <AuditLog
      scope={{ kind: 'admin' }}
      search={search}
      onSearch={(next) => void navigate({ to: '/audit', search: next })}
    />
  );
}

export function ProjectAuditPage() {
  const { projectId } = projectRoute.useParams();
  const search = projectRoute.useSearch();
  const navigate = useNavigate();
  return (
    <AuditLog
      scope={{ kind: 'project', projectId }}
      search={search}
      onSearch={(next) =>
        void navigate({ to: '/projects/$projectId/audit', params: { projectId }, search: next })
      }
    />
  );
}

const ALL = '__all';

/** Who did what, when: the filters (in the URL), the log newest first, an entry's detail, and the export. */
function AuditLog({
  scope,
  search,
  onSearch,
}: {
  scope: AuditScope;
  search: AuditSearch;
  onSearch: (next: AuditSearch) => void;
}) {
  const { t } = useTranslation();
  const project = useProject(scope.kind === 'project' ? scope.projectId : '');
  const projects = useProjects();
  const log = useAuditLog(scope, search);
  const exporter = useAuditExport(scope, search);
  const [selected, setSelected] = useState<AuditEntry | null>(null);
  const [draft, setDraft] = useState(() => draftOf(search));
  // biome-ignore lint/correctness/useExhaustiveDependencies: the form follows the URL when it changes (back, a link).
  useEffect(() => setDraft(draftOf(search)), [JSON.stringify(search)]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const since = localInputToIso(draft.since);
    const until = localInputToIso(draft.until);
    onSearch({
      ...(draft.actor.trim() ? { actor: draft.actor.trim() } : {}),
      ...(draft.type.trim() ? { type: normaliseTypes(draft.type) } : {}),
      ...(draft.stream.trim() ? { stream: draft.stream.trim() } : {}),
      ...(draft.project !== ALL ? { project: draft.project } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
    });
  };
  const filtered = Object.keys(search).length > 0;
  const entries = log.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <PageHeader
        eyebrow={scope.kind === 'project' ? project.data?.name : undefined}
        title={t('audit.title')}
        description={scope.kind === 'admin' ? t('audit.subtitleAdmin') : t('audit.subtitleProject')}
        actions={
          <>
            {scope.kind === 'admin' && (
              <Button variant="outline" asChild>
                <Link to="/audit/state">
                  <History /> {t('audit.state.open')}
                </Link>
              </Button>
            )}
            <Button variant="outline" disabled={exporter.isPending} onClick={() => exporter.mutate('ndjson')}>
              <Download /> NDJSON
            </Button>
            <Button variant="outline" disabled={exporter.isPending} onClick={() => exporter.mutate('csv')}>
              <Download /> CSV
            </Button>
          </>
        }
      />
      <Card className="mb-4 py-4">
        <CardContent className="px-4">
          <form onSubmit={apply} className="grid gap-3" aria-label={t('audit.filters.label')}>
            <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
              <Field id="audit-actor" label={t('audit.filters.actor')}>
                <Input
                  id="audit-actor"
                  value={draft.actor}
                  placeholder={t('audit.filters.actorPlaceholder')}
                  onChange={(e) => setDraft({ ...draft, actor: e.target.value })}
                />
              </Field>
              <Field id="audit-types" label={t('audit.filters.types')}>
                <Input
                  id="audit-types"
                  value={draft.type}
                  className="font-mono"
                  placeholder="ProjectCreated, GoalIncremented"
                  onChange={(e) => setDraft({ ...draft, type: e.target.value })}
                />
              </Field>
              <Field id="audit-since" label={t('audit.filters.since')}>
                <Input
                  id="audit-since"
                  type="datetime-local"
                  value={draft.since}
                  onChange={(e) => setDraft({ ...draft, since: e.target.value })}
                />
              </Field>
              <Field id="audit-until" label={t('audit.filters.until')}>
                <Input
                  id="audit-until"
                  type="datetime-local"
                  value={draft.until}
                  onChange={(e) => setDraft({ ...draft, until: e.target.value })}
                />
              </Field>
              {scope.kind === 'admin' && (
                <Field id="audit-project" label={t('audit.filters.project')}>
                  <Select value={draft.project} onValueChange={(project) => setDraft({ ...draft, project })}>
                    <SelectTrigger id="audit-project" className="w-full">
                      <SelectValue />
                    </SelectTrigger>
                    <SelectContent>
                      <SelectItem value={ALL}>{t('audit.filters.allProjects')}</SelectItem>
                      {projects.data?.map((p) => (
                        <SelectItem key={p.id} value={p.id}>
                          {p.name}
                        </SelectItem>
                      ))}
                      {draft.project !== ALL && !projects.data?.some((p) => p.id === draft.project) && (
                        <SelectItem value={draft.project}>{draft.project}</SelectItem>
                      )}
                    </SelectContent>
                  </Select>
                </Field>
              )}
              <Field id="audit-stream" label={t('audit.filters.stream')}>
                <Input
                  id="audit-stream"
                  value={draft.stream}
                  className="font-mono"
                  placeholder="project-…"
                  onChange={(e) => setDraft({ ...draft, stream: e.target.value })}
                />
              </Field>
            </div>
            <div className="flex flex-wrap gap-2">
              <Button type="submit">
                <Search /> {t('audit.filters.apply')}
              </Button>
              {filtered && (
                <Button type="button" variant="ghost" onClick={() => onSearch({})}>
                  <FilterX /> {t('audit.filters.clear')}
                </Button>
              )}
            </div>
          </form>
        </CardContent>
      </Card>
      {log.isPending && <Skeleton className="h-64" />}
      {log.isError && <QueryError error={log.error} onRetry={() => void log.refetch()} />}
      {log.data && entries.length === 0 && (
        <EmptyState
          icon={ScrollText}
          title={filtered ? t('audit.empty.filtered') : t('audit.empty.title')}
          description={filtered ? t('audit.empty.filteredBody') : undefined}
        />
      )}
      {entries.length > 0 && (
        <EntryList
          entries={entries}
          onSelect={setSelected}
          hasMore={!!log.hasNextPage}
          loadingMore={log.isFetchingNextPage}
          onMore={() => void log.fetchNextPage()}
        />
      )}
      <EntryDetail
        entry={selected}
        onClose={() => setSelected(null)}
        timeTravel={scope.kind === 'admin' || project.data?.access === 'admin'}
        onFilter={(next) => {
          setSelected(null);
          onSearch(next);
        }}
      />
    </>
  );
}

function Field({ id, label, children }: { id: string; label: string; children: React.ReactNode }) {
  return (
    <div className="grid min-w-0 gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      {children}
    </div>
  );
}

function draftOf(search: AuditSearch) {
  return {
    actor: search.actor ?? '',
    type: search.type ?? '',
    stream: search.stream ?? '',
    project: search.project ?? ALL,
    since: isoToLocalInput(search.since),
    until: isoToLocalInput(search.until),
  };
}

function normaliseTypes(text: string): string {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .join(',');
}

function EntryList({
  entries,
  onSelect,
  hasMore,
  loadingMore,
  onMore,
}: {
  entries: AuditEntry[];
  onSelect: (entry: AuditEntry) => void;
  hasMore: boolean;
  loadingMore: boolean;
  onMore: () => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const sentinel = useRef<HTMLDivElement>(null);
  // The next page loads as the end of the list comes into view (the button stays for keyboards and old browsers).
  useEffect(() => {
    const node = sentinel.current;
    if (!node || !hasMore) return;
    const observer = new IntersectionObserver((seen) => {
      if (seen.some((s) => s.isIntersecting) && !loadingMore) onMore();
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [hasMore, loadingMore, onMore]);

  return (
    <div className="grid gap-3">
      <ul className="divide-y rounded-xl border bg-card" data-testid="audit-entries">
        {entries.map((e) => (
          <li key={e.position}>
            <button
              type="button"
              onClick={() => onSelect(e)}
              className="grid w-full min-w-0 gap-0.5 px-4 py-2.5 text-left text-sm hover:bg-muted/50 md:grid-cols-[10.5rem_minmax(0,14rem)_minmax(0,1fr)_auto] md:items-center md:gap-4"
              data-testid="audit-entry"
            >
              <span className="order-2 text-xs text-muted-foreground md:order-none md:text-sm">
                {format.dateTime(e.time)}
              </span>
              <code className="order-1 truncate font-mono font-medium md:order-none">{e.type}</code>
              <span className="order-3 min-w-0 truncate text-muted-foreground md:order-none md:text-foreground">
                {e.actor.display}
                {e.actor.deleted && <span className="text-muted-foreground"> · {t('audit.deleted')}</span>}
              </span>
              <span className="order-4 hidden font-mono text-xs text-muted-foreground md:inline">
                #{e.position}
              </span>
            </button>
          </li>
        ))}
      </ul>
      <div ref={sentinel} />
      {hasMore && (
        <Button variant="outline" className="justify-self-center" disabled={loadingMore} onClick={onMore}>
          {loadingMore ? t('audit.loading') : t('audit.older')}
        </Button>
      )}
      {!hasMore && entries.length > 50 && (
        <p className="text-center text-sm text-muted-foreground">{t('audit.end')}</p>
      )}
    </div>
  );
}
