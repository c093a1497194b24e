import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { Crown, Search, ShieldAlert, UserPlus, Users } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { User } from '@/api/types';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { UserAvatar } from '@/components/user-avatar';
import { hasPermission, useMe } from '@/features/auth/queries';
import { useUsers } from './queries';
import { UserActions } from './user-actions';
import { UserFormDialog } from './user-form-dialog';

const route = getRouteApi('/app/users');

export function matchesSearch(user: User, query: string): boolean {
  const q = query.trim().toLowerCase();
  return !q || user.name.toLowerCase().includes(q) || user.email.toLowerCase().includes(q);
}

export function UsersPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { q = '' } = route.useSearch();
  const { data: me } = useMe();
  const allowed = hasPermission(me, 'manage_users');
  const users = useUsers(allowed);
  const [creating, setCreating] = useState(false);
  const shown = (users.data ?? []).filter((u) => matchesSearch(u, q));

  if (me && !allowed)
    return (
      <Alert>
        <ShieldAlert />
        <AlertDescription>{t('users.why.noManageUsers')}</AlertDescription>
      </Alert>
    );

  return (
    <>
      <PageHeader
        title={t('users.title')}
        description={t('users.subtitle')}
        actions={
          <Button onClick={() => setCreating(true)}>
            <UserPlus /> {t('users.new')}
          </Button>
        }
      />
      <div className="relative mb-4 max-w-sm">
        <Search className="pointer-events-none absolute top-2.5 left-3 size-4 text-muted-foreground" />
        <Input
          value={q}
          onChange={(e) =>
            void navigate({
              to: '/users',
              search: e.target.value ? { q: e.target.value } : {},
              replace: true,
            })
          }
          placeholder={t('users.search')}
          aria-label={t('users.search')}
          className="pl-9"
        />
      </div>
      {users.isPending && <Skeleton className="h-64" />}
      {users.isError && <QueryError error={users.error} onRetry={() => void users.refetch()} />}
      {users.data && shown.length === 0 && (
        <EmptyState
          icon={Users}
          title={t('users.noMatch.title')}
          description={t('users.noMatch.body', { q })}
        />
      )}
      {shown.length > 0 && (
        <div className="rounded-xl border bg-card">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead className="pl-4">{t('users.fields.name')}</TableHead>
                <TableHead className="hidden md:table-cell">{t('users.fields.role')}</TableHead>
                <TableHead className="hidden lg:table-cell">{t('users.fields.permissions')}</TableHead>
                <TableHead className="hidden sm:table-cell">{t('users.fields.status')}</TableHead>
                <TableHead className="w-12" />
              </TableRow>
            </TableHeader>
            <TableBody>
              {shown.map((u) => (
                <TableRow key={u.id} data-testid="user-row">
                  <TableCell className="pl-4">
                    <Link to="/users/$userId" params={{ userId: u.id }} className="flex items-center gap-3">
                      <UserAvatar user={u} />
                      <span className="min-w-0">
                        <span className="flex items-center gap-1.5 font-medium hover:underline">
                          <span className="truncate">{u.name}</span>
                          {u.role === 'root' && (
                            <Crown className="size-3.5 text-amber-500" aria-label={t('users.roles.root')} />
                          )}
                        </span>
                        <span className="block truncate text-xs text-muted-foreground">{u.email}</span>
                      </span>
                    </Link>
                  </TableCell>
                  <TableCell className="hidden md:table-cell">
                    <Badge variant={u.role === 'user' ? 'outline' : 'secondary'}>
                      {t(`users.roles.${u.role}`)}
                    </Badge>
                  </TableCell>
                  <TableCell className="hidden lg:table-cell">
                    <div className="flex flex-wrap gap-1">
                      {u.role !== 'user' ? (
                        <span className="text-xs text-muted-foreground">{t('users.allPermissions')}</span>
                      ) : u.permissions.length === 0 ? (
                        <span className="text-xs text-muted-foreground">—</span>
                      ) : (
                        u.permissions.map((p) => (
                          <Badge key={p} variant="outline" className="font-normal">
                            {t(`users.permissions.${p}`)}
                          </Badge>
                        ))
                      )}
                    </div>
                  </TableCell>
                  <TableCell className="hidden sm:table-cell">
                    {u.blocked ? (
                      <Badge variant="destructive">{t('users.status.blocked')}</Badge>
                    ) : (
                      <span className="text-sm text-muted-foreground">{t('users.status.active')}</span>
                    )}
                  </TableCell>
                  <TableCell>
                    <UserActions user={u} />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
      <UserFormDialog open={creating} onOpenChange={setCreating} />
    </>
  );
}
