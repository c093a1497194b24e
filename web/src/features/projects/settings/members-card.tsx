import { UserMinus, UserPlus } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import { ApiError } from '@/api/problem';
import type { Project, ProjectMember } from '@/api/types';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { Skeleton } from '@/components/ui/skeleton';
import { UserAvatar } from '@/components/user-avatar';
import { hasPermission, useMe } from '@/features/auth/queries';
import { useUsers } from '@/features/users/queries';
import { fieldMessage, problemMessage } from '@/lib/problem-message';
import { useGrantMember, useMembers, useRevokeMember } from '../queries';

/**
 * Members of the project, by name (`GET …/members`, readable by those who manage it). Someone new is picked from
 * the user directory where the caller may read it, and otherwise added by the email of their account.
 */
export function MembersCard({ project }: { project: Project }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const directory = hasPermission(me, 'manage_users');
  const users = useUsers(directory);
  const members = useMembers(project.id);
  const grant = useGrantMember(project.id);
  const revoke = useRevokeMember(project.id);
  const [chosen, setChosen] = useState('');
  const [error, setError] = useState<string | null>(null);
  const owner = members.data?.find((m) => m.role === 'owner');
  const others = members.data?.filter((m) => m.role === 'member') ?? [];
  const candidates = (users.data ?? []).filter(
    (u) => u.role === 'user' && !project.memberIds.includes(u.id) && u.id !== project.ownerId,
  );

  const add = async () => {
    setError(null);
    try {
      await grant.mutateAsync(directory ? { userId: chosen } : { email: chosen.trim() });
      setChosen('');
      toast.success(t('projects.members.added'));
    } catch (e) {
      setError(e instanceof ApiError && e.errors[0] ? fieldMessage(t, e.errors[0]) : problemMessage(t, e));
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
          {members.isPending && (
            <li className="flex items-center gap-3 px-3 py-2">
              <Skeleton className="size-7 rounded-full" />
              <Skeleton className="h-4 w-40" />
            </li>
          )}
          {members.isError && (
            <li className="px-3 py-3 text-sm text-destructive">{problemMessage(t, members.error)}</li>
          )}
          {owner && <MemberRow member={owner} badge={t('projects.members.owner')} />}
          {members.isSuccess && others.length === 0 && (
            <li className="px-3 py-3 text-sm text-muted-foreground">{t('projects.members.none')}</li>
          )}
          {others.map((m) => (
            <MemberRow key={m.userId} member={m}>
              <Button
                variant="ghost"
                size="sm"
                disabled={revoke.isPending}
                onClick={() =>
                  revoke.mutate(m.userId, { onSuccess: () => toast.success(t('projects.members.removed')) })
                }
              >
                <UserMinus /> {t('projects.members.remove')}
              </Button>
            </MemberRow>
          ))}
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
              type="email"
              autoComplete="off"
              value={chosen}
              onChange={(e) => setChosen(e.target.value)}
              placeholder={t('projects.members.email')}
              aria-label={t('projects.members.email')}
              className="sm:flex-1"
            />
          )}
          <Button type="submit" disabled={!chosen.trim() || grant.isPending}>
            <UserPlus /> {t('projects.members.add')}
          </Button>
        </form>
        {error && <p className="text-sm text-destructive">{error}</p>}
        {!directory && <p className="text-sm text-muted-foreground">{t('projects.members.byEmailHint')}</p>}
      </CardContent>
    </Card>
  );
}

function MemberRow({
  member,
  badge,
  children,
}: {
  member: ProjectMember;
  badge?: string;
  children?: React.ReactNode;
}) {
  const { t } = useTranslation();
  const name = member.name ?? t('projects.members.unknownName');
  return (
    <li className="flex items-center gap-3 px-3 py-2 text-sm">
      <UserAvatar user={{ name, avatarUrl: member.avatarUrl }} className="size-7" />
      <span className="min-w-0 flex-1">
        <span className="block truncate">{name}</span>
        <span className="block truncate text-xs text-muted-foreground">{member.email ?? member.userId}</span>
      </span>
      {badge && <span className="text-xs text-muted-foreground">{badge}</span>}
      {children}
    </li>
  );
}
