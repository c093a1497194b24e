import type { LicenseScope } from '../../domain/licenses.ts';
import type { ModuleStatus } from '../../domain/projectModules.ts';
import type { Doc } from '../ports/readStore.ts';

/**
 * The read models of modules and licences, as `projections/projectModules.ts` and
 * `projections/moduleLicenses.ts` write them.
 */

/** One document per (project, module) that was ever enabled, put on trial or disabled there. */
export const PROJECT_MODULES = 'project_modules';
/** One document per licence ever granted; a revoked one keeps `revokedAt`. */
export const MODULE_LICENSES = 'module_licenses';

export interface ProjectModuleDoc extends Doc {
  projectId: string;
  moduleCode: string;
  /** As recorded: a trial past its end is still `trial` here; readers apply `effectiveStatus`. */
  status: ModuleStatus;
  trialEndsAt: string | null;
  updatedAt: string;
  updatedBy: string | null;
}

export interface ModuleLicenseDoc extends Doc {
  userId: string;
  moduleCode: string;
  scope: LicenseScope;
  projectId: string | null;
  grantedAt: string;
  grantedBy: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

export const projectModuleId = (projectId: string, moduleCode: string) => `${projectId}:${moduleCode}`;
