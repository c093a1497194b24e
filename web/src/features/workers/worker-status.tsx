import { useTranslation } from 'react-i18next';
import { Badge } from '@/components/ui/badge';
import type { WorkerSummary } from './queries';

/** Deployed version, paused, and whether the draft differs from what runs. */
export function WorkerStatusBadges({
  worker,
}: {
  worker: Pick<WorkerSummary, 'activeVersion' | 'enabled' | 'undeployedChanges'>;
}) {
  const { t } = useTranslation();
  return (
    <div className="flex flex-wrap gap-1">
      {worker.activeVersion === null ? (
        <Badge variant="secondary">{t('workers.status.notDeployed')}</Badge>
      ) : (
        <Badge variant="secondary" data-testid="active-version">
          {t('workers.status.version', { version: worker.activeVersion })}
        </Badge>
      )}
      {!worker.enabled && <Badge variant="outline">{t('workers.status.disabled')}</Badge>}
      {worker.undeployedChanges && (
        <Badge
          variant="outline"
          className="border-amber-500/50 text-amber-700 dark:text-amber-400"
          data-testid="undeployed-badge"
        >
          {t('workers.status.undeployed')}
        </Badge>
      )}
    </div>
  );
}
