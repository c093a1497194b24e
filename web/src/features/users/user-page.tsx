import { getRouteApi, Link } from '@tanstack/react-router';
import { ArrowLeft, Crown } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { UserAvatar } from '@/components/user-avatar';
import { isGlobalAdmin, useMe } from '@/features/auth/queries';
import { LicensesCard } from './licenses-card';
import { PasswordResetCard } from './password-reset-card';
import { ProjectAccessCard } from './project-access-card';
import { useUser } from './queries';
import { UserActions } from './user-actions';

const route = getRouteApi('/app/users/$userId');

export function UserPage() {
  const { t } = useTranslation();
  const { userId } = route.useParams();
  const { data: me } = useMe();
  const user = useUser(userId);
  if (user.isPending) return <Skeleton className="h-80" />;
  if (user.isError) return <QueryError error={user.error} onRetry={() => void user.refetch()} />;
  const u = user.data;
  const admin = isGlobalAdmin(me);
  return (
    <>
      <Button variant="ghost" size="sm" className="-ml-2 mb-2" asChild>
        <Link to="/users">
          <ArrowLeft /> {t('users.backToList')}
        </Link>
      </Button>
      <PageHeader
        title={
          <span className="flex items-center gap-3">
            <UserAvatar user={u} className="size-10" />
            <span className="truncate">{u.name}</span>
            {u.role === 'root' && (
              <Crown className="size-5 shrink-0 text-amber-500" aria-label={t('users.roles.root')} />
            )}
          </span>
        }
        description={
          <span className="flex flex-wrap items-center gap-2">
            {u.email}
            <Badge variant="secondary">{t(`users.roles.${u.role}`)}</Badge>
            {u.blocked && <Badge variant="destructive">{t('users.status.blocked')}</Badge>}
          </span>
        }
        actions={<UserActions user={u} afterDelete="list" variant="buttons" />}
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <ProjectAccessCard user={u} />
        {admin && <PasswordResetCard user={u} />}
        {admin && u.role === 'user' && <LicensesCard user={u} />}
      </div>
    </>
  );
}
