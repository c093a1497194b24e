import { getRouteApi } from '@tanstack/react-router';
import { Lock, MoreHorizontal, Pencil, Plus, Trash2, Variable } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import type { EnvVariable } from '@/api/types';
import { ConfirmDialog } from '@/components/confirm-dialog';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { canManage } from '@/features/projects/access';
import { useProject } from '@/features/projects/queries';
import { useFormat } from '@/lib/format';
import { useDeleteVariable, useEnvironment } from './queries';
import { VariableDialog } from './variable-dialog';

const route = getRouteApi('/app/projects/$projectId/environment');

export function EnvironmentPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { projectId } = route.useParams();
  const project = useProject(projectId);
  const variables = useEnvironment(projectId);
  const remove = useDeleteVariable(projectId);
  const [editing, setEditing] = useState<EnvVariable | 'new' | null>(null);
  const [deleting, setDeleting] = useState<EnvVariable | null>(null);
  const manage = canManage(project.data?.access);

  return (
    <>
      <PageHeader
        eyebrow={project.data?.name}
        title={t('environment.title')}
        description={t('environment.subtitle')}
        actions={
          manage && (
            <Button onClick={() => setEditing('new')}>
              <Plus /> {t('environment.add')}
            </Button>
          )
        }
      />
      {variables.isPending && <Skeleton className="h-40" />}
      {variables.isError && <QueryError error={variables.error} onRetry={() => void variables.refetch()} />}
      {variables.data?.length === 0 && (
        <EmptyState
          icon={Variable}
          title={t('environment.empty.title')}
          description={t('environment.empty.body')}
          action={
            manage && (
              <Button onClick={() => setEditing('new')}>
                <Plus /> {t('environment.add')}
              </Button>
            )
          }
        />
      )}
      {variables.data && variables.data.length > 0 && (
        <div className="rounded-xl border bg-card">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead className="pl-4">{t('environment.name')}</TableHead>
                <TableHead>{t('environment.value')}</TableHead>
                <TableHead className="hidden md:table-cell">{t('environment.updated')}</TableHead>
                {manage && <TableHead className="w-12" />}
              </TableRow>
            </TableHeader>
            <TableBody>
              {variables.data.map((v) => (
                <TableRow key={v.name} data-testid="env-row">
                  <TableCell className="pl-4 font-mono font-medium">{v.name}</TableCell>
                  <TableCell className="max-w-0 w-1/2">
                    {v.secret ? (
                      <span className="flex items-center gap-2">
                        <code className="font-mono text-muted-foreground" data-testid="env-masked">
                          {v.masked}
                        </code>
                        <Badge variant="secondary">
                          <Lock /> {t('environment.secretBadge')}
                        </Badge>
                      </span>
                    ) : (
                      <code className="block truncate font-mono" title={v.value ?? ''}>
                        {v.value}
                      </code>
                    )}
                  </TableCell>
                  <TableCell className="hidden text-muted-foreground md:table-cell">
                    {format.dateTime(v.updatedAt)}
                  </TableCell>
                  {manage && (
                    <TableCell>
                      <DropdownMenu>
                        <DropdownMenuTrigger asChild>
                          <Button
                            variant="ghost"
                            size="icon-sm"
                            aria-label={t('common.actionsFor', { name: v.name })}
                          >
                            <MoreHorizontal />
                          </Button>
                        </DropdownMenuTrigger>
                        <DropdownMenuContent align="end">
                          <DropdownMenuItem onSelect={() => setEditing(v)}>
                            <Pencil /> {t('common.edit')}
                          </DropdownMenuItem>
                          <DropdownMenuItem variant="destructive" onSelect={() => setDeleting(v)}>
                            <Trash2 /> {t('common.delete')}
                          </DropdownMenuItem>
                        </DropdownMenuContent>
                      </DropdownMenu>
                    </TableCell>
                  )}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
      <VariableDialog
        open={editing !== null}
        onOpenChange={(open) => !open && setEditing(null)}
        projectId={projectId}
        {...(editing && editing !== 'new' ? { variable: editing } : {})}
      />
      <ConfirmDialog
        open={!!deleting}
        onOpenChange={(open) => !open && setDeleting(null)}
        title={t('environment.deleteTitle', { name: deleting?.name ?? '' })}
        description={t('environment.deleteBody')}
        confirmLabel={t('common.delete')}
        onConfirm={async () => {
          if (!deleting) return;
          await remove.mutateAsync(deleting.name);
          toast.success(t('environment.deleted', { name: deleting.name }));
        }}
      />
    </>
  );
}
