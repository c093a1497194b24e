import { useNavigate } from '@tanstack/react-router';
import { Check, ChevronsUpDown, FolderKanban } from 'lucide-react';
import { useTranslation } from 'react-i18next';
import type { User } from '@/api/types';
import { ColorDot } from '@/components/color-dot';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { isGlobalAdmin } from '@/features/auth/queries';
import { useSwitchableProjects } from '@/features/projects/queries';

/** Global admins switch through `/admin/projects`, which names each project's owner. */
function ownerName(project: object): string | null {
  const owner = (project as { owner?: { name: string } | null }).owner;
  return owner?.name ?? null;
}

export function ProjectSwitcher({
  user,
  currentId,
  onNavigate,
}: {
  user: User | undefined;
  currentId: string | null;
  onNavigate?: () => void;
}) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { data: projects, isPending } = useSwitchableProjects(user);
  const current = projects?.find((p) => p.id === currentId);
  const admin = isGlobalAdmin(user);

  return (
    <DropdownMenu>
      <DropdownMenuTrigger
        className="flex w-full items-center gap-2 rounded-md border bg-background px-2.5 py-2 text-left text-sm shadow-xs outline-none hover:bg-sidebar-accent focus-visible:ring-[3px] focus-visible:ring-ring/50"
        data-testid="project-switcher"
      >
        <span className="flex size-7 shrink-0 items-center justify-center rounded-md bg-sidebar-accent">
          {current ? (
            <ColorDot color={current.color} className="size-3" />
          ) : (
            <FolderKanban className="size-4" />
          )}
        </span>
        <span className="min-w-0 flex-1">
          <span className="block text-xs text-muted-foreground">{t('shell.project')}</span>
          <span className="block truncate font-medium">
            {current?.name ?? (isPending ? '…' : t('shell.noProjectChosen'))}
          </span>
        </span>
        <ChevronsUpDown className="size-4 shrink-0 text-muted-foreground" />
      </DropdownMenuTrigger>
      <DropdownMenuContent align="start" className="w-(--radix-dropdown-menu-trigger-width) min-w-56">
        <DropdownMenuLabel className="text-xs text-muted-foreground">
          {admin ? t('shell.allProjects') : t('shell.yourProjects')}
        </DropdownMenuLabel>
        {projects?.length === 0 && (
          <div className="px-2 py-1.5 text-sm text-muted-foreground">{t('shell.noProjects')}</div>
        )}
        {projects?.map((p) => (
          <DropdownMenuItem
            key={p.id}
            onSelect={() => {
              onNavigate?.();
              void navigate({ to: '/projects/$projectId', params: { projectId: p.id } });
            }}
          >
            <ColorDot color={p.color} />
            <span className="min-w-0 flex-1">
              <span className="block truncate">{p.name}</span>
              {ownerName(p) && (
                <span className="block truncate text-xs text-muted-foreground">{ownerName(p)}</span>
              )}
            </span>
            {p.id === currentId && <Check className="size-4" />}
          </DropdownMenuItem>
        ))}
        <DropdownMenuSeparator />
        <DropdownMenuItem
          onSelect={() => {
            onNavigate?.();
            void navigate({ to: '/' });
          }}
        >
          {t('shell.overviewOfProjects')}
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
