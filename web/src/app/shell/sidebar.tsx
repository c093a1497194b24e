import { Link, useRouterState } from '@tanstack/react-router';
import { Target, Webhook } from 'lucide-react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useCurrentProjectId } from '@/app/current-project';
import { MODULES, type ModuleRoute, visibleModules } from '@/app/modules';
import { isGlobalAdmin, useMe } from '@/features/auth/queries';
import { enabledCodes, useProjectModules } from '@/features/modules/queries';
import { canManage } from '@/features/projects/access';
import { useSwitchableProjects } from '@/features/projects/queries';
import { generalNav, projectNav } from './nav';
import { ProjectSwitcher } from './project-switcher';
import { UserMenu } from './user-menu';

const MODULE_ICONS: Record<ModuleRoute['icon'], typeof Target> = { target: Target, webhook: Webhook };

function NavLink({
  to,
  params,
  exact,
  icon: Icon,
  children,
  onNavigate,
}: {
  to: string;
  params?: Record<string, string>;
  exact?: boolean;
  icon: typeof Target;
  children: ReactNode;
  onNavigate?: (() => void) | undefined;
}) {
  return (
    <Link
      to={to as never}
      params={params as never}
      activeOptions={{ exact: exact ?? false }}
      onClick={onNavigate}
      className="flex items-center gap-2.5 rounded-md px-2.5 py-1.5 text-sm text-sidebar-foreground/80 outline-none hover:bg-sidebar-accent hover:text-sidebar-accent-foreground focus-visible:ring-[3px] focus-visible:ring-ring/50 data-[status=active]:bg-sidebar-accent data-[status=active]:font-medium data-[status=active]:text-sidebar-accent-foreground"
    >
      <Icon className="size-4 shrink-0" />
      <span className="truncate">{children}</span>
    </Link>
  );
}

function Group({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="grid gap-0.5">
      <div className="px-2.5 pb-1 text-xs font-medium text-muted-foreground">{title}</div>
      {children}
    </div>
  );
}

export function SidebarContent({ onNavigate }: { onNavigate?: () => void }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const currentId = useCurrentProjectId();
  const { data: projects } = useSwitchableProjects(me);
  const project = projects?.find((p) => p.id === currentId);
  const { data: modules } = useProjectModules(project ? project.id : null);
  // Re-render on navigation so the active link follows the URL.
  useRouterState({ select: (s) => s.location.pathname });

  const access = project?.access;
  const moduleEntries = project && access ? visibleModules(MODULES, enabledCodes(modules), access) : [];

  return (
    <div className="flex h-full min-h-0 flex-col">
      <div className="flex h-14 items-center gap-2 px-4">
        <Link to="/" onClick={onNavigate} className="flex items-center gap-2 font-semibold tracking-tight">
          <img src="/favicon.svg" alt="" className="size-6 rounded-md dark:ring-1 dark:ring-white/20" />
          <span>m3m</span>
        </Link>
        {isGlobalAdmin(me) && (
          <span className="ml-auto rounded bg-sidebar-accent px-1.5 py-0.5 text-[10px] font-medium uppercase tracking-wide text-muted-foreground">
            {t('shell.admin')}
          </span>
        )}
      </div>
      <div className="px-3 pb-3">
        <ProjectSwitcher user={me} currentId={project?.id ?? null} onNavigate={onNavigate} />
      </div>
      <nav
        className="grid min-h-0 flex-1 content-start gap-5 overflow-y-auto px-3 py-2"
        aria-label={t('shell.menu')}
      >
        <Group title={t('shell.general')}>
          {generalNav
            .filter((item) => !item.visible || (me && item.visible(me)))
            .map((item) => (
              <NavLink
                key={String(item.to)}
                to={String(item.to)}
                exact={item.exact}
                icon={item.icon}
                onNavigate={onNavigate}
              >
                {t(item.label)}
              </NavLink>
            ))}
        </Group>
        {project && (
          <Group title={project.name}>
            {projectNav
              .filter((item) => !item.manage || canManage(access))
              .flatMap((item, index) => {
                const link = (
                  <NavLink
                    key={String(item.to)}
                    to={String(item.to)}
                    params={{ projectId: project.id }}
                    exact={item.exact}
                    icon={item.icon}
                    onNavigate={onNavigate}
                  >
                    {t(item.label)}
                  </NavLink>
                );
                // The modules' pages follow the project overview.
                if (index !== 0) return [link];
                return [
                  link,
                  ...moduleEntries.flatMap((m) =>
                    m.routes.map((r) => (
                      <NavLink
                        key={`${m.id}/${r.path}`}
                        to={`/projects/$projectId/${r.path}`}
                        params={{ projectId: project.id }}
                        icon={MODULE_ICONS[r.icon]}
                        onNavigate={onNavigate}
                      >
                        {t(r.label)}
                      </NavLink>
                    )),
                  ),
                ];
              })}
          </Group>
        )}
      </nav>
      <div className="border-t p-3">
        <UserMenu user={me} onNavigate={onNavigate} />
      </div>
    </div>
  );
}
