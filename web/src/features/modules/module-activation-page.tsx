import { getRouteApi, Link } from '@tanstack/react-router';
import { ArrowLeft, CalendarClock, Infinity as Lifetime } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '@/components/page-header';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { useProject } from '@/features/projects/queries';
import { moduleText } from './module-text';
import { useCatalog } from './queries';

const route = getRouteApi('/app/module-activation/$moduleCode');

/**
 * Where a member who may not enable a module goes: the ways to get it, none of which is connected to payment
 * yet. Nothing here changes anything on the server.
 */
export function ModuleActivationPage() {
  const { t } = useTranslation();
  const { moduleCode } = route.useParams();
  const { project: projectId } = route.useSearch();
  const catalog = useCatalog();
  const project = useProject(projectId ?? '');
  const module = catalog.data?.find((m) => m.code === moduleCode);
  const text = module ? moduleText(t, module) : { name: moduleCode, description: '' };
  const name = text.name;

  return (
    <>
      {projectId && (
        <Button variant="ghost" size="sm" className="-ml-2 mb-2" asChild>
          <Link to="/projects/$projectId/modules" params={{ projectId }}>
            <ArrowLeft /> {t('modules.backToModules')}
          </Link>
        </Button>
      )}
      <PageHeader
        eyebrow={project.data?.name}
        title={t('modules.activation.title', { name })}
        description={text.description}
      />
      <Alert className="mb-6">
        <AlertDescription>
          {t('modules.activation.contactOwner', {
            project: project.data?.name ?? t('modules.activation.theProject'),
          })}
        </AlertDescription>
      </Alert>
      <div className="grid gap-4 md:grid-cols-2" data-testid="purchase-options">
        <PurchaseOption
          icon={CalendarClock}
          title={t('modules.activation.subscription')}
          body={t('modules.activation.subscriptionBody')}
        />
        <PurchaseOption
          icon={Lifetime}
          title={t('modules.activation.lifetime')}
          body={t('modules.activation.lifetimeBody')}
        />
      </div>
    </>
  );
}

function PurchaseOption({
  icon: Icon,
  title,
  body,
}: {
  icon: typeof CalendarClock;
  title: string;
  body: string;
}) {
  const { t } = useTranslation();
  return (
    <Card>
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <Icon className="size-4 text-muted-foreground" /> {title}
        </CardTitle>
        <CardDescription>{body}</CardDescription>
      </CardHeader>
      <CardFooter className="justify-between gap-2">
        <Badge variant="outline">{t('modules.activation.notConnected')}</Badge>
        <Button disabled>{t('modules.activation.choose')}</Button>
      </CardFooter>
    </Card>
  );
}
