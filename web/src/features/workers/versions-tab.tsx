import { GitCompare, History } from 'lucide-react';
import { Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { ConfirmDialog } from '@/components/confirm-dialog';
import { EmptyState } from '@/components/empty-state';
import { QueryError } from '@/components/query-error';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { hasPermission, useMe } from '@/features/auth/queries';
import { useUsers } from '@/features/users/queries';
import { useFormat } from '@/lib/format';
import { LazyDiffView } from './editor/lazy';
import { useActivateVersion, useVersion, useVersions, type Worker, type WorkerVersion } from './queries';
import type { Draft } from './use-draft';

/** Every deployed version with who and when; any of them against the draft; rollback after a confirmation. */
export function VersionsTab({
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
  const format = useFormat();
  const versions = useVersions(projectId, worker.id);
  const me = useMe();
  // Names come from the user directory, which only user managers may read; others see their own name.
  const users = useUsers(hasPermission(me.data, 'manage_users'));
  const [compared, setCompared] = useState<number | null>(null);
  const [rollingBack, setRollingBack] = useState<WorkerVersion | null>(null);
  const activate = useActivateVersion(projectId, worker.id);
  const selected = useVersion(projectId, worker.id, compared);

  const who = (id: string | null) => {
    if (id === null) return '—';
    if (id === me.data?.id) return me.data.name;
    return users.data?.find((u) => u.id === id)?.name ?? id.slice(0, 8);
  };

  if (versions.isError) return <QueryError error={versions.error} onRetry={() => void versions.refetch()} />;
  if (!versions.data) return <Skeleton className="h-40" />;
  if (versions.data.length === 0) {
    return (
      <EmptyState
        icon={History}
        title={t('workers.versions.empty.title')}
        description={t('workers.versions.empty.body')}
      />
    );
  }
  return (
    <div className="grid gap-4">
      <div className="rounded-xl border bg-card">
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead className="pl-4">{t('workers.versions.version')}</TableHead>
              <TableHead>{t('workers.versions.deployed')}</TableHead>
              <TableHead className="hidden sm:table-cell">{t('workers.versions.by')}</TableHead>
              <TableHead className="text-right" />
            </TableRow>
          </TableHeader>
          <TableBody>
            {versions.data.map((v) => (
              <TableRow key={v.version} data-testid="version-row" data-version={v.version}>
                <TableCell className="pl-4">
                  <span className="flex items-center gap-2 font-medium">
                    v{v.version}
                    <span className="text-xs font-normal text-muted-foreground">
                      {v.language === 'typescript' ? 'TS' : 'JS'}
                    </span>
                    {v.active && <Badge variant="secondary">{t('workers.versions.active')}</Badge>}
                  </span>
                </TableCell>
                <TableCell className="text-muted-foreground">{format.dateTime(v.deployedAt)}</TableCell>
                <TableCell className="hidden text-muted-foreground sm:table-cell">
                  {who(v.deployedBy)}
                </TableCell>
                <TableCell className="pr-4">
                  <div className="flex justify-end gap-2">
                    <Button
                      size="sm"
                      variant={compared === v.version ? 'default' : 'outline'}
                      onClick={() => setCompared(compared === v.version ? null : v.version)}
                      aria-label={t('workers.versions.diffLabel', { version: v.version })}
                    >
                      <GitCompare />
                      <span className="hidden sm:inline">{t('workers.versions.diff')}</span>
                    </Button>
                    {manage && !v.active && (
                      <Button size="sm" variant="outline" onClick={() => setRollingBack(v)}>
                        {t('workers.versions.rollback')}
                      </Button>
                    )}
                  </div>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </div>
      {compared !== null && (
        <div className="grid gap-2" data-testid="version-diff">
          <div className="flex flex-wrap justify-between gap-2 text-sm text-muted-foreground">
            <span>{t('workers.versions.diffLeft', { version: compared })}</span>
            <span>{t('workers.versions.diffRight')}</span>
          </div>
          {!selected.data || draft.text === null ? (
            <Skeleton className="h-[55vh]" />
          ) : (
            <Suspense fallback={<Skeleton className="h-[55vh]" />}>
              <LazyDiffView
                keyPath={`${worker.id}/v${compared}`}
                original={selected.data.source}
                modified={draft.text}
                language={worker.language}
              />
            </Suspense>
          )}
        </div>
      )}
      <ConfirmDialog
        open={!!rollingBack}
        onOpenChange={(open) => !open && setRollingBack(null)}
        title={t('workers.versions.rollbackTitle', { version: rollingBack?.version ?? 0 })}
        description={t('workers.versions.rollbackBody', { version: rollingBack?.version ?? 0 })}
        confirmLabel={t('workers.versions.rollbackConfirm', { version: rollingBack?.version ?? 0 })}
        destructive={false}
        onConfirm={async () => {
          if (!rollingBack) return;
          await activate.mutateAsync(rollingBack.version);
          toast.success(t('workers.versions.rolledBack', { version: rollingBack.version }));
        }}
      />
    </div>
  );
}
