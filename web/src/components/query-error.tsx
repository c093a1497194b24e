import { CircleAlert, RotateCw } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { problemMessage } from '@/lib/problem-message';

/** A query that failed: what went wrong in words, and a retry. */
export function QueryError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  return (
    <Alert variant="destructive" data-testid="query-error">
      <CircleAlert />
      <AlertTitle>{t('errors.loadFailed')}</AlertTitle>
      <AlertDescription>
        <p>{problemMessage(t, error)}</p>
        {onRetry && (
          <Button variant="outline" size="sm" className="mt-2" onClick={onRetry}>
            <RotateCw /> {t('common.retry')}
          </Button>
        )}
      </AlertDescription>
    </Alert>
  );
}
