import { Link } from '@tanstack/react-router';
import { CircleAlert, RotateCw } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { isFinal, problemMessage } from '@/lib/problem-message';

/** A query that failed: what went wrong in words, and a retry when trying again can help (else the way home). */
export function QueryError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  const final = isFinal(error);
  return (
    <Alert variant="destructive" data-testid="query-error">
      <CircleAlert />
      <AlertTitle>{t('errors.loadFailed')}</AlertTitle>
      <AlertDescription>
        <p>{problemMessage(t, error)}</p>
        {final ? (
          <Button variant="outline" size="sm" className="mt-2" asChild>
            <Link to="/">{t('common.notFound.home')}</Link>
          </Button>
        ) : (
          onRetry && (
            <Button variant="outline" size="sm" className="mt-2" onClick={onRetry}>
              <RotateCw /> {t('common.retry')}
            </Button>
          )
        )}
      </AlertDescription>
    </Alert>
  );
}
