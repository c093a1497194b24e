import type { QueryClient } from '@tanstack/react-query';
import { redirect } from '@tanstack/react-router';
import type { ProjectModule } from '@/api/types';
import { enabledCodes, projectModulesQuery } from '@/features/modules/queries';
import type { ProjectAccess } from '@/features/projects/access';
import { projectQuery } from '@/features/projects/queries';
import { MODULES, mayUse } from './modules';

export type GuardDecision = 'allow' | 'not_enabled' | 'not_allowed';

/** Whether a module's page may show in a project: enabled there, and the caller has the module's permission. */
export function moduleGuardDecision(
  code: string,
  modules: readonly ProjectModule[],
  access: ProjectAccess,
): GuardDecision {
  const config = MODULES.find((m) => m.id === code);
  if (!config) throw new Error(`module ${code} is not in app/modules.ts`);
  if (!enabledCodes(modules).has(code)) return 'not_enabled';
  return mayUse(config.permission, access) ? 'allow' : 'not_allowed';
}

/**
 * `beforeLoad` of a module's routes: a direct visit to a module that is not enabled in the current project (or
 * not for this caller) lands on the project's Modules page, which says why.
 */
export function requireModule(code: string) {
  return async ({
    params,
    context,
  }: {
    params: { projectId: string };
    context: { queryClient: QueryClient };
  }) => {
    const [modules, project] = await Promise.all([
      context.queryClient.ensureQueryData(projectModulesQuery(params.projectId)),
      context.queryClient.ensureQueryData(projectQuery(params.projectId)),
    ]);
    if (moduleGuardDecision(code, modules, project.access) !== 'allow') {
      throw redirect({
        to: '/projects/$projectId/modules',
        params: { projectId: params.projectId },
        search: { blocked: code },
      });
    }
  };
}
