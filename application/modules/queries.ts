import type { LicenseScope } from '../../domain/licenses.ts';
import { effectiveStatus, isOn, type ModuleStatus } from '../../domain/projectModules.ts';
import type { Actor } from '../context.ts';
import { refuse } from '../errors.ts';
import { findAll } from '../ports/findAll.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { findVisibleProject } from '../projects/queries.ts';
import type { CatalogEntry } from './catalog.ts';
import type { LicenseDeps, ModuleDeps, ModuleGateDeps } from './deps.ts';
import { moduleDisabled, moduleNotFound } from './errors.ts';
import { assertCanManageLicenses } from './licenses.ts';
import {
  MODULE_LICENSES,
  type ModuleLicenseDoc,
  PROJECT_MODULES,
  type ProjectModuleDoc,
  projectModuleId,
} from './readModel.ts';

/** A module in a project, as the API shows it. `moduleName` is the module's code (issue 5's field name). */
export interface ProjectModuleView {
  moduleName: string;
  /** At the time of the request: a trial past its end is `disabled`. */
  status: ModuleStatus;
  isCore: boolean;
  /** When the module was put on trial: its end (also after it has passed). */
  trialEndsAt?: string;
}

export interface LicenseView {
  id: string;
  userId: string;
  moduleCode: string;
  scope: LicenseScope;
  projectId: string | null;
  active: boolean;
  grantedAt: string;
  grantedBy: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

export function listCatalog(deps: Pick<ModuleDeps, 'modules'>): CatalogEntry[] {
  return deps.modules.list();
}

function view(module: CatalogEntry, doc: ProjectModuleDoc | null, now: Date): ProjectModuleView {
  if (module.isCore) return { moduleName: module.code, status: 'active', isCore: true };
  return {
    moduleName: module.code,
    status: effectiveStatus(doc, now),
    isCore: false,
    ...(doc?.status === 'trial' && doc.trialEndsAt ? { trialEndsAt: doc.trialEndsAt } : {}),
  };
}

/**
 * The modules of a project: every core module (always active), then every other module of the catalogue that
 * was ever switched on there, with its status now. Modules no longer in the catalogue (an uninstalled
 * plugin) are left out.
 */
async function moduleViews(deps: ModuleGateDeps, projectId: string): Promise<ProjectModuleView[]> {
  const now = deps.clock.now();
  const docs = await findAll(
    deps.readStore.collection<ProjectModuleDoc>(PROJECT_MODULES),
    { projectId },
    { moduleCode: 1 },
  );
  const core = deps.modules.list().filter((m) => m.isCore);
  const others = docs.flatMap((doc) => {
    const module = deps.modules.get(doc.moduleCode);
    return module && !module.isCore ? [view(module, doc, now)] : [];
  });
  return [...core.map((m) => view(m, null, now)), ...others];
}

/** `GET /projects/:id/modules`, for whoever may see the project (404 otherwise). */
export async function listProjectModules(
  deps: ModuleDeps,
  actor: Actor,
  projectId: string,
): Promise<ProjectModuleView[]> {
  await findVisibleProject(deps, actor, projectId);
  return moduleViews(deps, projectId);
}

/** One module of a project, now (`disabled` if never switched on). The module must be in the catalogue. */
export async function projectModule(
  deps: ModuleGateDeps,
  projectId: string,
  moduleCode: string,
): Promise<ProjectModuleView> {
  const module = deps.modules.get(moduleCode);
  if (!module) throw moduleNotFound(moduleCode);
  const doc = module.isCore
    ? null
    : await deps.readStore
        .collection<ProjectModuleDoc>(PROJECT_MODULES)
        .get(projectModuleId(projectId, moduleCode));
  return view(module, doc, deps.clock.now());
}

/** Whether a module is on in a project now: core, active, or on a trial that has not ended. */
export async function isModuleActive(
  deps: ModuleGateDeps,
  projectId: string,
  moduleCode: string,
): Promise<boolean> {
  const module = deps.modules.get(moduleCode);
  if (!module) return false;
  if (module.isCore) return true;
  const doc = await deps.readStore
    .collection<ProjectModuleDoc>(PROJECT_MODULES)
    .get(projectModuleId(projectId, moduleCode));
  return isOn(doc, deps.clock.now());
}

/**
 * "A module that is not active in a project is really off there": what a module's routes (and anything else
 * that belongs to a module) call before doing anything for a project. 403 `module_disabled` when it is off,
 * including when the trial has ended or the module is not in the catalogue (its plugin is not installed).
 */
export async function assertModuleActive(
  deps: ModuleGateDeps,
  projectId: string,
  moduleCode: string,
): Promise<void> {
  if (!(await isModuleActive(deps, projectId, moduleCode))) throw moduleDisabled(moduleCode);
}

/**
 * The codes of the modules on in a project now, core ones included, by code. The worker runtime asks this
 * at each invocation to decide which plugin APIs the project's workers get.
 */
export async function activeModules(deps: ModuleGateDeps, projectId: string): Promise<string[]> {
  const views = await moduleViews(deps, projectId);
  return views
    .filter((v) => v.status !== 'disabled')
    .map((v) => v.moduleName)
    .sort();
}

/** The module checks bound to their dependencies, for the runtime and the HTTP guard. */
export interface ModuleGate {
  activeModules(projectId: string): Promise<string[]>;
  isModuleActive(projectId: string, moduleCode: string): Promise<boolean>;
  assertModuleActive(projectId: string, moduleCode: string): Promise<void>;
}

export function moduleGate(deps: ModuleGateDeps): ModuleGate {
  return {
    activeModules: (projectId) => activeModules(deps, projectId),
    isModuleActive: (projectId, code) => isModuleActive(deps, projectId, code),
    assertModuleActive: (projectId, code) => assertModuleActive(deps, projectId, code),
  };
}

function licenseView(doc: ModuleLicenseDoc): LicenseView {
  return {
    id: doc.id,
    userId: doc.userId,
    moduleCode: doc.moduleCode,
    scope: doc.scope,
    projectId: doc.projectId,
    active: doc.revokedAt === null,
    grantedAt: doc.grantedAt,
    grantedBy: doc.grantedBy,
    revokedAt: doc.revokedAt,
    revokedBy: doc.revokedBy,
  };
}

async function licensesOf(deps: ProjectDeps, userId: string): Promise<LicenseView[]> {
  const docs = await findAll(
    deps.readStore.collection<ModuleLicenseDoc>(MODULE_LICENSES),
    { userId },
    { grantedAt: 1 },
  );
  return docs.map(licenseView);
}

/** `GET /admin/users/:id/licenses`: every licence of the user, revoked ones included (global admins). */
export async function userLicenses(deps: LicenseDeps, actor: Actor, userId: string): Promise<LicenseView[]> {
  assertCanManageLicenses(actor);
  if (!(await deps.userExists(userId))) throw refuse('user_not_found', 'There is no such user.');
  return licensesOf(deps, userId);
}

/** `GET /me/module-licenses`: the caller's active licences. */
export async function myLicenses(deps: ProjectDeps, actor: Actor): Promise<LicenseView[]> {
  if (actor.kind !== 'user') return [];
  return (await licensesOf(deps, actor.userId)).filter((l) => l.active);
}

/** One licence of a user, as recorded (for the response of a grant). */
export async function licenseOf(deps: ProjectDeps, userId: string, licenseId: string): Promise<LicenseView> {
  const doc = await deps.readStore.collection<ModuleLicenseDoc>(MODULE_LICENSES).get(licenseId);
  if (!doc || doc.userId !== userId) throw refuse('license_not_found', 'This user has no such licence.');
  return licenseView(doc);
}
