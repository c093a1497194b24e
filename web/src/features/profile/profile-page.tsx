import { useTranslation } from 'react-i18next';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Skeleton } from '@/components/ui/skeleton';
import { useMe } from '@/features/auth/queries';
import { AvatarCard } from './avatar-card';
import { NameCard } from './name-card';
import { PasswordCard } from './password-card';

export function ProfilePage() {
  const { t } = useTranslation();
  const me = useMe();
  return (
    <>
      <PageHeader title={t('profile.title')} description={t('profile.subtitle')} />
      {me.isPending && <Skeleton className="h-64" />}
      {me.isError && <QueryError error={me.error} onRetry={() => void me.refetch()} />}
      {me.data && (
        <div className="grid gap-6 lg:grid-cols-2">
          <NameCard me={me.data} />
          <AvatarCard me={me.data} />
          <PasswordCard />
        </div>
      )}
    </>
  );
}
