import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { ChevronsUpDown, LogOut, UserRound } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import { session } from '@/api/auth';
import type { User } from '@/api/types';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { UserAvatar } from '@/components/user-avatar';

export function UserMenu({ user, onNavigate }: { user: User | undefined; onNavigate?: () => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  return (
    <DropdownMenu>
      <DropdownMenuTrigger
        className="flex w-full items-center gap-2 rounded-md px-2 py-2 text-left text-sm outline-none hover:bg-sidebar-accent focus-visible:ring-[3px] focus-visible:ring-ring/50"
        data-testid="user-menu"
      >
        <UserAvatar user={user} />
        <span className="min-w-0 flex-1">
          <span className="block truncate font-medium">{user?.name ?? '…'}</span>
          <span className="block truncate text-xs text-muted-foreground">{user?.email}</span>
        </span>
        <ChevronsUpDown className="size-4 shrink-0 text-muted-foreground" />
      </DropdownMenuTrigger>
      <DropdownMenuContent
        side="top"
        align="start"
        className="w-(--radix-dropdown-menu-trigger-width) min-w-56"
      >
        <DropdownMenuLabel className="font-normal">
          <div className="truncate font-medium">{user?.name}</div>
          <div className="truncate text-xs text-muted-foreground">
            {user && t(`users.roles.${user.role}`)}
          </div>
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuItem
          onSelect={() => {
            onNavigate?.();
            void navigate({ to: '/profile' });
          }}
        >
          <UserRound /> {t('shell.profile')}
        </DropdownMenuItem>
        <DropdownMenuItem
          onSelect={() => {
            session.clear();
            qc.clear();
            void navigate({ to: '/sign-in' });
          }}
        >
          <LogOut /> {t('shell.signOut')}
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
