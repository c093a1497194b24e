import { Link } from '@tanstack/react-router';
import { FolderKanban } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { ColorDot } from '@/components/color-dot';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Card, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { useMe } from '@/features/auth/queries';
import { useProjects } from '@/features/projects/queries';

export function HomePage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const projects = useProjects();
  return (
    <>
      <PageHeader title={t('home.title', { name: me?.name ?? '' })} description={t('home.subtitle')} />
      {projects.isPending && (
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {[0, 1, 2].map((i) => (
            <Skeleton key={i} className="h-40" />
          ))}
        </div>
      )}
      {projects.isError && <QueryError error={projects.error} onRetry={() => void projects.refetch()} />}
      {projects.data?.length === 0 && (
        <EmptyState icon={FolderKanban} title={t('home.empty.title')} description={t('home.empty.body')} />
      )}
      {projects.data && projects.data.length > 0 && (
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {projects.data.map((p) => (
            <Link key={p.id} to="/projects/$projectId" params={{ projectId: p.id }} className="rounded-xl">
              <Card className="h-full transition-colors hover:bg-accent/40">
                <CardHeader>
                  <CardTitle className="flex items-center gap-2">
                    <ColorDot color={p.color} /> {p.name}
                  </CardTitle>
                  <CardDescription className="font-mono text-xs">{p.slug}</CardDescription>
                </CardHeader>
              </Card>
            </Link>
          ))}
        </div>
      )}
    </>
  );
}
