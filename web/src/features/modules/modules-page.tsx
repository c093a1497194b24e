import { getRouteApi, Link } from '@tanstack/react-router';
import { Blocks, CircleAlert, Power, ShoppingCart } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { ApiError } from '@/api/problem';
import type { CatalogModule, ProjectModule } from '@/api/types';
import { ConfirmDialog } from '@/components/confirm-dialog';
import { PageHeader } from '@/components/page-header';
import { QueryError } from '@/components/query-error';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Popover, PopoverContent, PopoverTrigger } from '@/components/ui/popover';
import { Skeleton } from '@/components/ui/skeleton';
import { isGlobalAdmin, useMe } from '@/features/auth/queries';
import { canManage } from '@/features/projects/access';
import { useProject } from '@/features/projects/queries';
import { useFormat } from '@/lib/format';
import { problemMessage } from '@/lib/problem-message';
import { moduleText } from './module-text';
import { useCatalog, useDisableModule, useEnableModule, useProjectModules } from './queries';

const route = getRouteApi('/app/projects/$projectId/modules');

/** The catalogue split by what is switched on in this project, with what the caller may do about each. */
export function ModulesPage() {
  const { t } = useTranslation();
  const { projectId } = route.useParams();
  const { blocked } = route.useSearch();
  const project = useProject(projectId);
  const catalog = useCatalog();
  const modules = useProjectModules(projectId);
  const { data: me } = useMe();
  const manage = canManage(project.data?.access);
  const admin = isGlobalAdmin(me);

  if (catalog.isPending || modules.isPending) return <Skeleton className="h-72" />;
  const error = catalog.error ?? modules.error;
  if (error || !catalog.data || !modules.data)
    return (
      <QueryError error={error} onRetry={() => void Promise.all([catalog.refetch(), modules.refetch()])} />
    );

  const state = new Map(modules.data.map((m) => [m.moduleName, m]));
  const isOn = (m: CatalogModule) => m.isCore || (state.get(m.code)?.status ?? 'disabled') !== 'disabled';
  const enabled = catalog.data.filter(isOn);
  const notEnabled = catalog.data.filter((m) => !isOn(m));
  const blockedModule = catalog.data.find((m) => m.code === blocked);

  return (
    <>
      <PageHeader
        eyebrow={project.data?.name}
        title={t('modules.title')}
        description={t('modules.subtitle')}
      />
      {blocked && (
        <Alert variant="warning" className="mb-6" data-testid="module-blocked">
          <CircleAlert />
          <AlertTitle>
            {t('modules.blocked.title', {
              name: blockedModule ? moduleText(t, blockedModule).name : blocked,
            })}
          </AlertTitle>
          <AlertDescription>
            {manage ? t('modules.blocked.manager') : t('modules.blocked.member')}
          </AlertDescription>
        </Alert>
      )}
      <section className="mb-8" aria-labelledby="enabled-modules">
        <h2 id="enabled-modules" className="mb-3 text-sm font-medium text-muted-foreground">
          {t('modules.enabled')}
        </h2>
        <div className="grid gap-4 md:grid-cols-2" data-testid="enabled-modules">
          {enabled.map((m) => (
            <EnabledModule
              key={m.code}
              module={m}
              state={state.get(m.code)}
              projectId={projectId}
              manage={manage}
            />
          ))}
        </div>
      </section>
      <section aria-labelledby="available-modules">
        <h2 id="available-modules" className="mb-3 text-sm font-medium text-muted-foreground">
          {t('modules.notEnabled')}
        </h2>
        {notEnabled.length === 0 ? (
          <p className="rounded-xl border border-dashed px-4 py-6 text-center text-sm text-muted-foreground">
            {t('modules.allEnabled')}
          </p>
        ) : (
          <div className="grid gap-4 md:grid-cols-2" data-testid="available-modules">
            {notEnabled.map((m) => (
              <AvailableModule key={m.code} module={m} projectId={projectId} manage={manage} admin={admin} />
            ))}
          </div>
        )}
      </section>
    </>
  );
}

function ModuleHeader({ module, badge }: { module: CatalogModule; badge: React.ReactNode }) {
  const { t } = useTranslation();
  const text = moduleText(t, module);
  return (
    <CardHeader>
      <CardTitle className="flex items-center gap-2">
        <Blocks className="size-4 text-muted-foreground" /> {text.name}
      </CardTitle>
      <CardDescription>{text.description}</CardDescription>
      <div className="col-start-2 row-span-2 row-start-1 self-start justify-self-end">{badge}</div>
    </CardHeader>
  );
}

function EnabledModule({
  module,
  state,
  projectId,
  manage,
}: {
  module: CatalogModule;
  state: ProjectModule | undefined;
  projectId: string;
  manage: boolean;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const disable = useDisableModule(projectId);
  const [confirming, setConfirming] = useState(false);
  const badge = module.isCore ? (
    <Badge variant="secondary">{t('modules.core')}</Badge>
  ) : state?.status === 'trial' ? (
    <Badge variant="outline">
      {t('modules.trialUntil', { date: state.trialEndsAt ? format.date(state.trialEndsAt) : '' })}
    </Badge>
  ) : (
    <Badge>{t('modules.active')}</Badge>
  );
  return (
    <Card className="gap-4" data-testid={`module-${module.code}`}>
      <ModuleHeader module={module} badge={badge} />
      {manage && !module.isCore && (
        <CardFooter className="justify-end">
          <Button variant="outline" onClick={() => setConfirming(true)}>
            <Power /> {t('modules.disable')}
          </Button>
        </CardFooter>
      )}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={t('modules.disableTitle', { name: moduleText(t, module).name })}
        description={t('modules.disableBody')}
        confirmLabel={t('modules.disable')}
        onConfirm={async () => {
          await disable.mutateAsync(module.code);
          toast.success(t('modules.disabled', { name: moduleText(t, module).name }));
        }}
      />
    </Card>
  );
}

function AvailableModule({
  module,
  projectId,
  manage,
  admin,
}: {
  module: CatalogModule;
  projectId: string;
  manage: boolean;
  admin: boolean;
}) {
  const { t } = useTranslation();
  const enable = useEnableModule(projectId);
  const [problem, setProblem] = useState<string | null>(null);
  const [trialEnd, setTrialEnd] = useState('');
  const [trialOpen, setTrialOpen] = useState(false);

  const activate = async (trialEndsAt?: string) => {
    setProblem(null);
    try {
      await enable.mutateAsync({ moduleCode: module.code, ...(trialEndsAt ? { trialEndsAt } : {}) });
      setTrialOpen(false);
      toast.success(
        t(trialEndsAt ? 'modules.trialStarted' : 'modules.activated', { name: moduleText(t, module).name }),
      );
    } catch (error) {
      setProblem(
        error instanceof ApiError && error.code === 'license_required'
          ? t('modules.licenseRequired')
          : problemMessage(t, error),
      );
    }
  };

  return (
    <Card className="gap-4" data-testid={`module-${module.code}`}>
      <ModuleHeader module={module} badge={<Badge variant="outline">{t('modules.off')}</Badge>} />
      {problem && (
        <div className="px-6">
          <Alert variant="destructive" data-testid="module-problem">
            <CircleAlert />
            <AlertDescription>{problem}</AlertDescription>
          </Alert>
        </div>
      )}
      <CardFooter className="flex-wrap justify-end gap-2">
        {manage ? (
          <>
            {admin && (
              <Popover open={trialOpen} onOpenChange={setTrialOpen}>
                <PopoverTrigger asChild>
                  <Button variant="outline">{t('modules.trial')}</Button>
                </PopoverTrigger>
                <PopoverContent align="end" className="grid gap-3">
                  <div className="grid gap-1.5">
                    <Label htmlFor={`trial-${module.code}`}>{t('modules.trialEnds')}</Label>
                    <Input
                      id={`trial-${module.code}`}
                      type="date"
                      value={trialEnd}
                      min={new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}
                      onChange={(e) => setTrialEnd(e.target.value)}
                    />
                  </div>
                  <Button
                    disabled={!trialEnd || enable.isPending}
                    onClick={() => void activate(new Date(`${trialEnd}T23:59:59Z`).toISOString())}
                  >
                    {t('modules.startTrial')}
                  </Button>
                </PopoverContent>
              </Popover>
            )}
            <Button disabled={enable.isPending} onClick={() => void activate()}>
              <Power /> {t('modules.activate')}
            </Button>
          </>
        ) : (
          <Button variant="outline" asChild>
            <Link
              to="/module-activation/$moduleCode"
              params={{ moduleCode: module.code }}
              search={{ project: projectId }}
            >
              <ShoppingCart /> {t('modules.purchase')}
            </Link>
          </Button>
        )}
      </CardFooter>
    </Card>
  );
}
