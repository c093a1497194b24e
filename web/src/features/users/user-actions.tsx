import { useNavigate } from '@tanstack/react-router';
import { Ban, CircleCheck, MoreHorizontal, Pencil, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from 'sonner';
import type { User } from '@/api/types';
import { ConfirmDialog } from '@/components/confirm-dialog';
import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { useMe } from '@/features/auth/queries';
import { useDeleteUser, useSetBlocked } from './queries';
import { type UserAction, whyNot } from './rules';
import { UserFormDialog } from './user-form-dialog';

/**
 * Edit, block/unblock, delete: an action the caller may not take shows disabled, with the reason under it. As a
 * row's menu (`menu`) or as buttons with the reasons below them (`buttons`, on the user's own page).
 */
export function UserActions({
  user,
  afterDelete,
  variant = 'menu',
}: {
  user: User;
  afterDelete?: 'list';
  variant?: 'menu' | 'buttons';
}) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { data: me } = useMe();
  const setBlocked = useSetBlocked();
  const remove = useDeleteUser();
  const [editing, setEditing] = useState(false);
  const [confirm, setConfirm] = useState<'block' | 'delete' | null>(null);

  const item = (
    action: UserAction,
    label: string,
    icon: React.ReactNode,
    onSelect: () => void,
    destructive = false,
  ) => {
    const reason = whyNot(me, user, action);
    return (
      <DropdownMenuItem
        disabled={!!reason}
        variant={destructive ? 'destructive' : 'default'}
        onSelect={onSelect}
        className="items-start"
      >
        <span className="mt-0.5">{icon}</span>
        <span className="grid">
          <span>{label}</span>
          {reason && <span className="max-w-56 text-xs text-muted-foreground">{t(reason)}</span>}
        </span>
      </DropdownMenuItem>
    );
  };

  const unblock = () =>
    setBlocked.mutate(
      { id: user.id, blocked: false },
      { onSuccess: () => toast.success(t('users.unblocked', { name: user.name })) },
    );

  const dialogs = (
    <>
      <UserFormDialog open={editing} onOpenChange={setEditing} user={user} />
      <ConfirmDialog
        open={confirm === 'block'}
        onOpenChange={(open) => !open && setConfirm(null)}
        title={t('users.blockTitle', { name: user.name })}
        description={t('users.blockBody')}
        confirmLabel={t('users.block')}
        onConfirm={async () => {
          await setBlocked.mutateAsync({ id: user.id, blocked: true });
          toast.success(t('users.blocked', { name: user.name }));
        }}
      />
      <ConfirmDialog
        open={confirm === 'delete'}
        onOpenChange={(open) => !open && setConfirm(null)}
        title={t('users.deleteTitle', { name: user.name })}
        description={t('users.deleteBody')}
        confirmLabel={t('common.delete')}
        onConfirm={async () => {
          await remove.mutateAsync(user.id);
          toast.success(t('users.deleted', { name: user.name }));
          if (afterDelete === 'list') await navigate({ to: '/users' });
        }}
      />
    </>
  );

  if (variant === 'buttons') {
    const reasons = [
      ...new Set(
        (['edit', 'block', 'delete'] as const).map((a) => whyNot(me, user, a)).filter((r) => r !== null),
      ),
    ];
    return (
      <div className="grid justify-items-start gap-2 sm:justify-items-end">
        <div className="flex flex-wrap gap-2">
          <Button variant="outline" disabled={!!whyNot(me, user, 'edit')} onClick={() => setEditing(true)}>
            <Pencil /> {t('common.edit')}
          </Button>
          {user.blocked ? (
            <Button variant="outline" disabled={!!whyNot(me, user, 'block')} onClick={unblock}>
              <CircleCheck /> {t('users.unblock')}
            </Button>
          ) : (
            <Button
              variant="outline"
              disabled={!!whyNot(me, user, 'block')}
              onClick={() => setConfirm('block')}
            >
              <Ban /> {t('users.block')}
            </Button>
          )}
          <Button
            variant="outline"
            disabled={!!whyNot(me, user, 'delete')}
            onClick={() => setConfirm('delete')}
          >
            <Trash2 /> {t('common.delete')}
          </Button>
        </div>
        {reasons.map((r) => (
          <p key={r} className="max-w-sm text-xs text-muted-foreground sm:text-right">
            {t(r)}
          </p>
        ))}
        {dialogs}
      </div>
    );
  }

  return (
    <>
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button variant="ghost" size="icon-sm" aria-label={t('common.actionsFor', { name: user.name })}>
            <MoreHorizontal />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end" className="min-w-48">
          {item('edit', t('common.edit'), <Pencil />, () => setEditing(true))}
          {user.blocked
            ? item('block', t('users.unblock'), <CircleCheck />, unblock)
            : item('block', t('users.block'), <Ban />, () => setConfirm('block'))}
          {item('delete', t('common.delete'), <Trash2 />, () => setConfirm('delete'), true)}
        </DropdownMenuContent>
      </DropdownMenu>
      {dialogs}
    </>
  );
}
