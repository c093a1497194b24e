import { UserMinus, UserPlus } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { ApiError } from '@/api/problem';
import type { Project } from '@/api/types';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { UserAvatar } from '@/components/user-avatar';
import { hasPermission, useMe } from '@/features/auth/queries';
import { useUsers } from '@/features/users/queries';
import { problemMessage } from '@/lib/problem-message';
import { useGrantMember, useRevokeMember } from '../queries';

/**
 * Members of the project. Names come from the user directory, which only user managers may read; an owner
 * without that right sees members by id and adds one by id (the API has no member lookup for owners yet).
 */
export function MembersCard({ project }: { project: Project }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const directory = hasPermission(me, 'manage_users');
  const users = useUsers(directory);
  const grant = useGrantMember(project.id);
  const revoke = useRevokeMember(project.id);
  const [chosen, setChosen] = useState('');
  const [error, setError] = useState<string | null>(null);
  // The caller is always known by name, whether or not they may read the user directory.
  const byId = new Map([
    ...(me ? [[me.id, me] as const] : []),
    ...(users.data ?? []).map((u) => [u.id, u] as const),
  ]);
  const candidates = (users.data ?? []).filter(
    (u) => u.role === 'user' && !project.memberIds.includes(u.id) && u.id !== project.ownerId,
  );

  const add = async () => {
    setError(null);
    try {
      await grant.mutateAsync(chosen.trim());
      setChosen('');
      toast.success(t('projects.members.added'));
    } catch (e) {
      setError(e instanceof ApiError && e.errors[0] ? e.errors[0].message : problemMessage(t, e));
    }
  };

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('projects.members.title')}</CardTitle>
        <CardDescription>{t('projects.members.description')}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        <ul className="divide-y rounded-md border" data-testid="members">
          {project.ownerId && (
            <li className="flex items-center gap-3 px-3 py-2 text-sm">
              <UserAvatar user={byId.get(project.ownerId)} className="size-7" />
              <span className="min-w-0 flex-1 truncate">
                {byId.get(project.ownerId)?.name ?? project.ownerId}
              </span>
              <span className="text-xs text-muted-foreground">{t('projects.members.owner')}</span>
            </li>
          )}
          {project.memberIds.length === 0 && (
            <li className="px-3 py-3 text-sm text-muted-foreground">{t('projects.members.none')}</li>
          )}
          {project.memberIds.map((id) => {
            const user = byId.get(id);
            return (
              <li key={id} className="flex items-center gap-3 px-3 py-2 text-sm">
                <UserAvatar user={user} className="size-7" />
                <span className="min-w-0 flex-1">
                  <span className="block truncate">{user?.name ?? id}</span>
                  {user && <span className="block truncate text-xs text-muted-foreground">{user.email}</span>}
                </span>
                <Button
                  variant="ghost"
                  size="sm"
                  disabled={revoke.isPending}
                  onClick={() =>
                    revoke.mutate(id, { onSuccess: () => toast.success(t('projects.members.removed')) })
                  }
                >
                  <UserMinus /> {t('projects.members.remove')}
                </Button>
              </li>
            );
          })}
        </ul>
        <form
          className="flex flex-col gap-2 sm:flex-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (chosen.trim()) void add();
          }}
        >
          {directory ? (
            <Select value={chosen} onValueChange={setChosen}>
              <SelectTrigger className="sm:flex-1" aria-label={t('projects.members.choose')}>
                <SelectValue placeholder={t('projects.members.choose')} />
              </SelectTrigger>
              <SelectContent>
                {candidates.length === 0 && (
                  <div className="px-2 py-1.5 text-sm text-muted-foreground">
                    {t('projects.members.noCandidates')}
                  </div>
                )}
                {candidates.map((u) => (
                  <SelectItem key={u.id} value={u.id}>
                    {u.name} · {u.email}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          ) : (
            <Input
              value={chosen}
              onChange={(e) => setChosen(e.target.value)}
              placeholder={t('projects.members.userId')}
              aria-label={t('projects.members.userId')}
              className="font-mono sm:flex-1"
            />
          )}
          <Button type="submit" disabled={!chosen.trim() || grant.isPending}>
            <UserPlus /> {t('projects.members.add')}
          </Button>
        </form>
        {error && <p className="text-sm text-destructive">{error}</p>}
        {!directory && <p className="text-sm text-muted-foreground">{t('projects.members.byIdHint')}</p>}
      </CardContent>
    </Card>
  );
}
