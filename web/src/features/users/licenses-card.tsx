import { useQuery } from '@tanstack/react-query';
import { BadgeCheck, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import type { User } from '@/api/types';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Label } from '@/components/ui/label';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { moduleText } from '@/features/modules/module-text';
import { useCatalog } from '@/features/modules/queries';
import { adminProjectsQuery } from '@/features/projects/queries';
import { useFormat } from '@/lib/format';
import { problemMessage } from '@/lib/problem-message';
import { useGrantLicense, useRevokeLicense, useUserLicenses } from './queries';

/** A user's module licences (global admins): grant for all their projects or one, revoke. */
export function LicensesCard({ user }: { user: User }) {
  const { t } = useTranslation();
  const format = useFormat();
  const catalog = useCatalog();
  const projects = useQuery(adminProjectsQuery);
  const licenses = useUserLicenses(user.id, true);
  const grant = useGrantLicense(user.id);
  const revoke = useRevokeLicense(user.id);
  const [moduleCode, setModuleCode] = useState('');
  const [scope, setScope] = useState<'all_projects' | 'single_project'>('all_projects');
  const [projectId, setProjectId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const licensable = (catalog.data ?? []).filter((m) => !m.isCore);
  const moduleName = (code: string) => {
    const module = catalog.data?.find((m) => m.code === code);
    return module ? moduleText(t, module).name : code;
  };
  const projectName = (id: string | null) =>
    id ? (projects.data?.find((p) => p.id === id)?.name ?? id) : '';
  const active = (licenses.data ?? []).filter((l) => l.active);
  const ownProjects = (projects.data ?? []).filter((p) => p.ownerId === user.id);

  return (
    <Card className="lg:col-span-2">
      <CardHeader>
        <CardTitle>{t('users.licenses.title')}</CardTitle>
        <CardDescription>{t('users.licenses.description')}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        <ul className="divide-y rounded-md border" data-testid="licenses">
          {active.length === 0 && (
            <li className="px-3 py-3 text-sm text-muted-foreground">{t('users.licenses.none')}</li>
          )}
          {active.map((l) => (
            <li key={l.id} className="flex flex-wrap items-center gap-3 px-3 py-2 text-sm">
              <BadgeCheck className="size-4 text-emerald-600" />
              <span className="font-medium">{moduleName(l.moduleCode)}</span>
              <Badge variant="outline">
                {l.scope === 'all_projects' ? t('users.licenses.allProjects') : projectName(l.projectId)}
              </Badge>
              <span className="flex-1 text-xs text-muted-foreground">
                {t('users.licenses.grantedAt', { when: format.date(l.grantedAt) })}
              </span>
              <Button
                variant="ghost"
                size="sm"
                disabled={revoke.isPending}
                onClick={() =>
                  revoke.mutate(l.id, { onSuccess: () => toast.success(t('users.licenses.revoked')) })
                }
              >
                <Trash2 /> {t('users.licenses.revoke')}
              </Button>
            </li>
          ))}
        </ul>
        <div className="grid gap-3 sm:grid-cols-[1fr_1fr_1fr_auto] sm:items-end">
          <div className="grid gap-1.5">
            <Label>{t('users.licenses.module')}</Label>
            <Select value={moduleCode} onValueChange={setModuleCode}>
              <SelectTrigger aria-label={t('users.licenses.module')}>
                <SelectValue placeholder={t('users.licenses.chooseModule')} />
              </SelectTrigger>
              <SelectContent>
                {licensable.map((m) => (
                  <SelectItem key={m.code} value={m.code}>
                    {moduleText(t, m).name}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          </div>
          <div className="grid gap-1.5">
            <Label>{t('users.licenses.scope')}</Label>
            <Select value={scope} onValueChange={(v) => setScope(v as typeof scope)}>
              <SelectTrigger aria-label={t('users.licenses.scope')}>
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value="all_projects">{t('users.licenses.allProjects')}</SelectItem>
                <SelectItem value="single_project">{t('users.licenses.oneProject')}</SelectItem>
              </SelectContent>
            </Select>
          </div>
          <div className="grid gap-1.5">
            <Label>{t('users.licenses.project')}</Label>
            <Select value={projectId} onValueChange={setProjectId} disabled={scope !== 'single_project'}>
              <SelectTrigger aria-label={t('users.licenses.project')}>
                <SelectValue placeholder={t('users.licenses.chooseProject')} />
              </SelectTrigger>
              <SelectContent>
                {ownProjects.length === 0 && (
                  <div className="px-2 py-1.5 text-sm text-muted-foreground">
                    {t('users.licenses.ownsNone')}
                  </div>
                )}
                {ownProjects.map((p) => (
                  <SelectItem key={p.id} value={p.id}>
                    {p.name}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          </div>
          <Button
            disabled={!moduleCode || (scope === 'single_project' && !projectId) || grant.isPending}
            onClick={() => {
              setError(null);
              grant.mutate(
                { moduleCode, scope, ...(scope === 'single_project' ? { projectId } : {}) },
                {
                  onSuccess: () =>
                    toast.success(t('users.licenses.granted', { module: moduleName(moduleCode) })),
                  onError: (e) => setError(problemMessage(t, e)),
                },
              );
            }}
          >
            {t('users.licenses.grant')}
          </Button>
        </div>
        {error && <p className="text-sm text-destructive">{error}</p>}
      </CardContent>
    </Card>
  );
}
