import { FolderMinus, FolderPlus } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import type { User } from '@/api/types';
import { ColorDot } from '@/components/color-dot';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { isGlobalAdmin, useMe } from '@/features/auth/queries';
import { useSwitchableProjects } from '@/features/projects/queries';
import { useGrantProject, useRevokeProject } from './queries';
import { whyNot } from './rules';

export function ProjectAccessCard({ user }: { user: User }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const admin = isGlobalAdmin(me);
  const projects = useSwitchableProjects(me);
  const grant = useGrantProject(user.id);
  const revoke = useRevokeProject(user.id);
  const [chosen, setChosen] = useState('');
  const byId = new Map((projects.data ?? []).map((p) => [p.id, p]));
  const inReach = (id: string) => admin || (me?.projectIds.includes(id) ?? false);
  const refusal = whyNot(me, user, 'projects');
  const candidates = (projects.data ?? []).filter((p) => !user.projectIds.includes(p.id) && inReach(p.id));

  if (user.role !== 'user')
    return (
      <Card>
        <CardHeader>
          <CardTitle>{t('users.access.title')}</CardTitle>
          <CardDescription>{t('users.access.adminSeesAll')}</CardDescription>
        </CardHeader>
      </Card>
    );

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('users.access.title')}</CardTitle>
        <CardDescription>{t('users.access.description')}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        <ul className="divide-y rounded-md border" data-testid="user-projects">
          {user.projectIds.length === 0 && (
            <li className="px-3 py-3 text-sm text-muted-foreground">{t('users.access.none')}</li>
          )}
          {user.projectIds.map((id) => {
            const project = byId.get(id);
            return (
              <li key={id} className="flex items-center gap-3 px-3 py-2 text-sm">
                <ColorDot color={project?.color} />
                <span className="min-w-0 flex-1 truncate">{project?.name ?? id}</span>
                <Button
                  variant="ghost"
                  size="sm"
                  disabled={!!refusal || !inReach(id) || revoke.isPending}
                  title={refusal ? t(refusal) : !inReach(id) ? t('users.why.projectNotHeld') : undefined}
                  onClick={() =>
                    revoke.mutate(id, { onSuccess: () => toast.success(t('users.access.revoked')) })
                  }
                >
                  <FolderMinus /> {t('users.access.revoke')}
                </Button>
              </li>
            );
          })}
        </ul>
        {refusal ? (
          <p className="text-sm text-muted-foreground">{t(refusal)}</p>
        ) : (
          <div className="flex flex-col gap-2 sm:flex-row">
            <Select value={chosen} onValueChange={setChosen}>
              <SelectTrigger className="sm:flex-1" aria-label={t('users.access.choose')}>
                <SelectValue placeholder={t('users.access.choose')} />
              </SelectTrigger>
              <SelectContent>
                {candidates.length === 0 && (
                  <div className="px-2 py-1.5 text-sm text-muted-foreground">
                    {t('users.access.noCandidates')}
                  </div>
                )}
                {candidates.map((p) => (
                  <SelectItem key={p.id} value={p.id}>
                    {p.name}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
            <Button
              disabled={!chosen || grant.isPending}
              onClick={() =>
                grant.mutate(chosen, {
                  onSuccess: () => {
                    setChosen('');
                    toast.success(t('users.access.granted'));
                  },
                })
              }
            >
              <FolderPlus /> {t('users.access.grant')}
            </Button>
          </div>
        )}
      </CardContent>
    </Card>
  );
}
