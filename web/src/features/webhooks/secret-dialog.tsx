import { TriangleAlert } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { CopyButton } from '@/components/copy-button';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from '@/components/ui/dialog';
import { useFormat } from '@/lib/format';

/** An endpoint's signing secret, shown this once (at creation or rotation): the server keeps it encrypted. */
export function SecretDialog({
  secret,
  previousExpiresAt,
  onClose,
}: {
  secret: string | null;
  /** After a rotation: until when the old secret still signs. */
  previousExpiresAt?: string | null;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <Dialog open={!!secret} onOpenChange={(open) => !open && onClose()}>
      <DialogContent closeLabel={t('common.close')}>
        <DialogHeader>
          <DialogTitle>
            {previousExpiresAt ? t('webhooks.secret.rotatedTitle') : t('webhooks.secret.title')}
          </DialogTitle>
          <DialogDescription>{t('webhooks.secret.onlyOnce')}</DialogDescription>
        </DialogHeader>
        <div className="flex min-w-0 items-center gap-2">
          <code
            className="min-w-0 flex-1 rounded-md border bg-muted px-3 py-2 font-mono text-sm break-all select-all"
            data-testid="webhook-secret"
          >
            {secret}
          </code>
          {secret && <CopyButton text={secret} />}
        </div>
        {previousExpiresAt && (
          <Alert variant="warning">
            <TriangleAlert />
            <AlertDescription>
              {t('webhooks.secret.overlap', { until: format.dateTime(previousExpiresAt) })}
            </AlertDescription>
          </Alert>
        )}
        <DialogFooter>
          <Button onClick={onClose}>{t('webhooks.secret.stored')}</Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
