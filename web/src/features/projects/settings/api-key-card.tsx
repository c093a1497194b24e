import { KeyRound, RefreshCw } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Project } from '@/api/types';
import { ConfirmDialog } from '@/components/confirm-dialog';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { useFormat } from '@/lib/format';
import { ApiKeyDialog } from '../api-key-dialog';
import { useRotateApiKey } from '../queries';

export function ApiKeyCard({ project }: { project: Project }) {
  const { t } = useTranslation();
  const format = useFormat();
  const rotate = useRotateApiKey(project.id);
  const [confirming, setConfirming] = useState(false);
  const [newKey, setNewKey] = useState<string | null>(null);
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('projects.apiKey.title')}</CardTitle>
        <CardDescription>{t('projects.apiKey.description')}</CardDescription>
      </CardHeader>
      <CardContent className="grid flex-1 content-start gap-3 text-sm">
        <div className="flex items-center gap-3 rounded-md border bg-muted/50 px-3 py-2">
          <KeyRound className="size-4 text-muted-foreground" />
          <code className="font-mono" data-testid="api-key-prefix">
            {project.apiKeyPrefix}…
          </code>
        </div>
        <p className="text-muted-foreground">
          {t('projects.apiKey.rotatedAt', { when: format.dateTime(project.apiKeyRotatedAt) })}
        </p>
      </CardContent>
      <CardFooter className="justify-end">
        <Button variant="outline" onClick={() => setConfirming(true)}>
          <RefreshCw /> {t('projects.apiKey.rotate')}
        </Button>
      </CardFooter>
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={t('projects.apiKey.confirmTitle')}
        description={t('projects.apiKey.confirmBody')}
        confirmLabel={t('projects.apiKey.rotate')}
        onConfirm={async () => {
          const result = await rotate.mutateAsync();
          setNewKey(result.apiKey);
        }}
      />
      <ApiKeyDialog apiKey={newKey} rotated onClose={() => setNewKey(null)} />
    </Card>
  );
}
