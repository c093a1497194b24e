import { Link } from '@tanstack/react-router';
import { Blocks } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '@/api/problem';
import { EmptyState } from '@/components/empty-state';
import { QueryError } from '@/components/query-error';
import { Button } from '@/components/ui/button';

export const isModuleDisabled = (error: unknown) =>
  error instanceof ApiError && error.code === 'module_disabled';

/**
 * A load failure; when it is the module switched off (here since the page opened, or in another tab), it says how
 * to switch it back on rather than showing the raw refusal.
 */
export function WebhooksLoadError({
  error,
  projectId,
  onRetry,
}: {
  error: unknown;
  projectId: string;
  onRetry: () => void;
}) {
  const { t } = useTranslation();
  if (!isModuleDisabled(error)) return <QueryError error={error} onRetry={onRetry} />;
  return (
    <EmptyState
      icon={Blocks}
      title={t('webhooks.off.title')}
      description={t('webhooks.off.body')}
      action={
        <Button asChild>
          <Link to="/projects/$projectId/modules" params={{ projectId }}>
            {t('webhooks.off.action')}
          </Link>
        </Button>
      }
    />
  );
}
