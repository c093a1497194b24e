import { getRouteApi } from '@tanstack/react-router';
import { Webhook } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { useProject } from '@/features/projects/queries';

const route = getRouteApi('/app/projects/$projectId/webhooks');

/** The webhooks module's page: reachable only where the module is enabled; its content comes with issue 15. */
export function WebhooksPage() {
  const { t } = useTranslation();
  const { projectId } = route.useParams();
  const project = useProject(projectId);
  return (
    <>
      <PageHeader
        eyebrow={project.data?.name}
        title={t('webhooks.title')}
        description={t('webhooks.subtitle')}
      />
      <EmptyState icon={Webhook} title={t('webhooks.soon.title')} description={t('webhooks.soon.body')} />
    </>
  );
}
