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

/** A project API key, shown this once: the server keeps only its hash. */
export function ApiKeyDialog({
  apiKey,
  rotated,
  onClose,
}: {
  apiKey: string | null;
  rotated: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Dialog open={!!apiKey} onOpenChange={(open) => !open && onClose()}>
      <DialogContent closeLabel={t('common.close')}>
        <DialogHeader>
          <DialogTitle>{t('projects.apiKey.newTitle')}</DialogTitle>
          <DialogDescription>{t('projects.apiKey.onlyOnce')}</DialogDescription>
        </DialogHeader>
        <div className="flex items-center gap-2">
          <code
            className="min-w-0 flex-1 rounded-md border bg-muted px-3 py-2 font-mono text-sm break-all select-all"
            data-testid="new-api-key"
          >
            {apiKey}
          </code>
          {apiKey && <CopyButton text={apiKey} />}
        </div>
        {rotated && (
          <Alert variant="warning">
            <TriangleAlert />
            <AlertDescription>{t('projects.apiKey.oldStops')}</AlertDescription>
          </Alert>
        )}
        <DialogFooter>
          <Button onClick={onClose}>{t('projects.apiKey.stored')}</Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
