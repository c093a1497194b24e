import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { Database, Plus } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { canManage } from '@/features/projects/access';
import { useProject } from '@/features/projects/queries';
import { useFormat } from '@/lib/format';
import { useCollections } from './queries';

const route = getRouteApi('/app/projects/$projectId/data');
/** As the server checks it (MODEL_NAME_PATTERN). */
export const COLLECTION_NAME = /^[a-z][a-z0-9_]{0,40}$/;

/** What the project's workers stored (`m3m.models`): each collection with its count and whether it has a model. */
export function CollectionsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const { projectId } = route.useParams();
  const project = useProject(projectId);
  const collections = useCollections(projectId);
  const manage = canManage(project.data?.access);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);

  const onModel = (e: FormEvent) => {
    e.preventDefault();
    if (!COLLECTION_NAME.test(name)) {
      setNameError(t('data.nameRule'));
      return;
    }
    void navigate({ to: '/projects/$projectId/data/$collection', params: { projectId, collection: name } });
  };

  return (
    <>
      <PageHeader eyebrow={project.data?.name} title={t('data.title')} description={t('data.subtitle')} />
      {collections.isPending && <Skeleton className="h-40" />}
      {collections.isError && (
        <QueryError error={collections.error} onRetry={() => void collections.refetch()} />
      )}
      {collections.data?.length === 0 && (
        <EmptyState icon={Database} title={t('data.empty.title')} description={t('data.empty.body')} />
      )}
      {collections.data && collections.data.length > 0 && (
        <div className="rounded-xl border bg-card">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead className="pl-4">{t('data.collection')}</TableHead>
                <TableHead className="text-right">{t('data.documents')}</TableHead>
                <TableHead>{t('data.model')}</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {collections.data.map((c) => (
                <TableRow key={c.name} data-testid="collection-row">
                  <TableCell className="pl-4">
                    <Link
                      to="/projects/$projectId/data/$collection"
                      params={{ projectId, collection: c.name }}
                      className="font-mono font-medium hover:underline"
                    >
                      {c.name}
                    </Link>
                  </TableCell>
                  <TableCell className="text-right tabular-nums">{format.number(c.documents)}</TableCell>
                  <TableCell>
                    {c.hasModel ? (
                      <Badge variant="secondary">{t('data.hasModel')}</Badge>
                    ) : (
                      <span className="text-sm text-muted-foreground">{t('data.noModel')}</span>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
      {manage && (
        <form className="mt-6 grid max-w-md gap-2" onSubmit={onModel} noValidate>
          <label htmlFor="new-model" className="text-sm font-medium">
            {t('data.defineModel')}
          </label>
          <div className="flex gap-2">
            <Input
              id="new-model"
              className="font-mono"
              placeholder="orders"
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={!!nameError}
            />
            <Button type="submit" variant="outline">
              <Plus /> {t('data.defineModelAction')}
            </Button>
          </div>
          {nameError && <p className="text-sm text-destructive">{nameError}</p>}
        </form>
      )}
    </>
  );
}
