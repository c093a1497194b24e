import { getRouteApi, Link } from '@tanstack/react-router';
import { ChevronLeft, Trash2 } from 'lucide-react';
import { Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { ConfirmDialog } from '@/components/confirm-dialog';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Skeleton } from '@/components/ui/skeleton';
import { canManage } from '@/features/projects/access';
import { useProject } from '@/features/projects/queries';
import { LazyJsonEditor } from '@/features/workers/editor/lazy';
import { problemMessage } from '@/lib/problem-message';
import {
  useCollectionSchema,
  useDeleteDocument,
  useDeleteSchema,
  useDocuments,
  usePutSchema,
} from './queries';

const route = getRouteApi('/app/projects/$projectId/data/$collection');

const STARTER_SCHEMA = `{
  "type": "object",
  "properties": {
    "total": { "type": "number", "minimum": 0 },
    "paid": { "type": "boolean" }
  },
  "required": ["total"]
}
`;

/** One collection: its documents (filtered, sorted, a page at a time) and its model's JSON Schema. */
export function CollectionPage() {
  const { t } = useTranslation();
  const { projectId, collection } = route.useParams();
  const project = useProject(projectId);
  const manage = canManage(project.data?.access);
  return (
    <>
      <Link
        to="/projects/$projectId/data"
        params={{ projectId }}
        className="mb-2 inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground"
      >
        <ChevronLeft className="size-4" /> {t('data.title')}
      </Link>
      <PageHeader
        title={<span className="font-mono">{collection}</span>}
        description={t('data.collectionSubtitle')}
      />
      <div className="grid grid-cols-[minmax(0,1fr)] gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <Documents projectId={projectId} collection={collection} manage={manage} />
        <SchemaEditor projectId={projectId} collection={collection} manage={manage} />
      </div>
    </>
  );
}

function Documents({
  projectId,
  collection,
  manage,
}: {
  projectId: string;
  collection: string;
  manage: boolean;
}) {
  const { t } = useTranslation();
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState('');
  const [applied, setApplied] = useState({ filter: '', sort: '' });
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const documents = useDocuments(projectId, collection, { ...applied, cursor });
  const remove = useDeleteDocument(projectId, collection);
  const [deleting, setDeleting] = useState<string | null>(null);

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('data.documents')}</CardTitle>
      </CardHeader>
      <CardContent className="grid grid-cols-[minmax(0,1fr)] gap-3">
        <form
          className="grid gap-2 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)_auto] sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            setCursors([null]);
            setApplied({ filter, sort });
          }}
        >
          <div className="grid gap-1.5">
            <Label htmlFor="doc-filter">{t('data.filter')}</Label>
            <Input
              id="doc-filter"
              className="font-mono text-xs"
              placeholder='{"status": "open"}'
              value={filter}
              onChange={(e) => setFilter(e.target.value)}
            />
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="doc-sort">{t('data.sort')}</Label>
            <Input
              id="doc-sort"
              className="font-mono text-xs"
              placeholder="-total"
              value={sort}
              onChange={(e) => setSort(e.target.value)}
            />
          </div>
          <Button type="submit" variant="outline">
            {t('data.apply')}
          </Button>
        </form>
        {documents.isError && <QueryError error={documents.error} onRetry={() => void documents.refetch()} />}
        {documents.isPending && <Skeleton className="h-40" />}
        {documents.data?.items.length === 0 && (
          <p className="rounded-lg border border-dashed p-6 text-center text-sm text-muted-foreground">
            {t('data.noDocuments')}
          </p>
        )}
        <ul className="grid grid-cols-[minmax(0,1fr)] gap-2" data-testid="documents">
          {documents.data?.items.map((doc) => (
            <li key={doc.id} className="rounded-lg border" data-testid="document">
              <div className="flex items-center justify-between gap-2 border-b px-3 py-1.5">
                <code className="truncate font-mono text-xs text-muted-foreground">{doc.id}</code>
                {manage && (
                  <Button
                    variant="ghost"
                    size="icon-sm"
                    aria-label={t('data.deleteDocument', { id: doc.id })}
                    onClick={() => setDeleting(doc.id)}
                  >
                    <Trash2 />
                  </Button>
                )}
              </div>
              <pre className="max-h-64 overflow-auto p-3 font-mono text-xs leading-relaxed">
                {JSON.stringify(doc, null, 2)}
              </pre>
            </li>
          ))}
        </ul>
        <div className="flex justify-between gap-2">
          <Button
            variant="outline"
            size="sm"
            disabled={cursors.length <= 1}
            onClick={() => setCursors(cursors.slice(0, -1))}
          >
            {t('data.newer')}
          </Button>
          <Button
            variant="outline"
            size="sm"
            disabled={!documents.data?.nextCursor}
            onClick={() => documents.data?.nextCursor && setCursors([...cursors, documents.data.nextCursor])}
          >
            {t('data.older')}
          </Button>
        </div>
      </CardContent>
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title={t('data.deleteTitle')}
        description={t('data.deleteBody', { id: deleting ?? '' })}
        confirmLabel={t('common.delete')}
        onConfirm={async () => {
          if (!deleting) return;
          await remove.mutateAsync(deleting);
          toast.success(t('data.deleted'));
        }}
      />
    </Card>
  );
}

function SchemaEditor({
  projectId,
  collection,
  manage,
}: {
  projectId: string;
  collection: string;
  manage: boolean;
}) {
  const { t } = useTranslation();
  const schema = useCollectionSchema(projectId, collection);
  const put = usePutSchema(projectId, collection);
  const remove = useDeleteSchema(projectId, collection);
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [removing, setRemoving] = useState(false);

  useEffect(() => {
    if (schema.data !== undefined) {
      setText(schema.data ? `${JSON.stringify(schema.data.schema, null, 2)}\n` : STARTER_SCHEMA);
    }
  }, [schema.data]);

  const onSave = async () => {
    setError(null);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text ?? '') as Record<string, unknown>;
    } catch (err) {
      setError(t('workers.run.invalidJson', { message: err instanceof Error ? err.message : '' }));
      return;
    }
    try {
      await put.mutateAsync(parsed);
      toast.success(t('data.schemaSaved'));
    } catch (err) {
      setError(problemMessage(t, err));
    }
  };

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('data.model')}</CardTitle>
        <CardDescription>{schema.data ? t('data.modelHint') : t('data.noModelHint')}</CardDescription>
      </CardHeader>
      <CardContent className="grid grid-cols-[minmax(0,1fr)] gap-3">
        {schema.isError && <QueryError error={schema.error} onRetry={() => void schema.refetch()} />}
        {text === null ? (
          <Skeleton className="h-[320px]" />
        ) : (
          <Suspense fallback={<Skeleton className="h-[320px]" />}>
            <LazyJsonEditor
              path={`file:///models/${projectId}/${collection}.schema.json`}
              value={text}
              onChange={setText}
              readOnly={!manage}
              height="320px"
              label={t('data.model')}
            />
          </Suspense>
        )}
        {error && (
          <p className="text-sm text-destructive" role="alert" data-testid="schema-error">
            {error}
          </p>
        )}
        {manage && (
          <div className="flex flex-wrap justify-end gap-2">
            {schema.data && (
              <Button variant="outline" onClick={() => setRemoving(true)}>
                {t('data.removeModel')}
              </Button>
            )}
            <Button onClick={() => void onSave()} disabled={put.isPending || text === null}>
              {t('data.saveModel')}
            </Button>
          </div>
        )}
      </CardContent>
      <ConfirmDialog
        open={removing}
        onOpenChange={setRemoving}
        title={t('data.removeModelTitle', { name: collection })}
        description={t('data.removeModelBody')}
        confirmLabel={t('data.removeModel')}
        onConfirm={async () => {
          await remove.mutateAsync();
          toast.success(t('data.modelRemoved'));
        }}
      />
    </Card>
  );
}
