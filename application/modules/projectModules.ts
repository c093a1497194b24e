import { licenseCovers, licenses, licensesStream } from '../../domain/licenses.ts';
import { projectModules, projectModulesStream } from '../../domain/projectModules.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { loadAggregate } from '../commands/loadAggregate.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals, refuse } from '../errors.ts';
import { findVisibleProject } from '../projects/queries.ts';
import type { ProjectDoc } from '../projects/readModel.ts';
import type { CatalogEntry, ModuleCatalog } from './catalog.ts';
import type { ModuleDeps } from './deps.ts';
import { licenseRequired, moduleIsCore, moduleNotFound } from './errors.ts';
import { canChangeModules, canStartTrial, needsLicense } from './moduleAccess.ts';

export interface EnableModuleInput {
  moduleCode: string;
  /** Global admins only: enable it as a trial until then (ISO 8601, in the future). */
  trialEndsAt?: string | undefined;
}

export interface ModuleChange {
  moduleCode: string;
  /** `$all` position of the change; `null` when nothing changed (already so, or a core module). */
  position: number | null;
}

export function catalogEntry(modules: ModuleCatalog, code: string): CatalogEntry {
  const entry = modules.get(code);
  if (!entry) throw moduleNotFound(code);
  return entry;
}

/**
 * The project, if the actor may switch its modules: its owner or a global admin. A caller who cannot see the
 * project gets 404 as everywhere (its existence is not revealed); a member who sees it gets 403.
 */
async function projectForModuleChange(
  deps: ModuleDeps,
  actor: Actor,
  projectId: string,
): Promise<ProjectDoc> {
  const project = await findVisibleProject(deps, actor, projectId);
  if (!canChangeModules(actor, project)) {
    throw refuse(
      'not_project_manager',
      "Only the project's owner or a global admin may enable or disable its modules.",
    );
  }
  return project;
}

/**
 * Whether the project's owner holds an active licence for the module covering this project. Read from the
 * owner's licence stream rather than the read model: a revocation counts from the moment it is recorded.
 */
async function assertOwnerLicensed(deps: ModuleDeps, project: ProjectDoc, moduleCode: string): Promise<void> {
  if (project.ownerId === null) throw licenseRequired(moduleCode);
  const { state } = await loadAggregate(
    deps.eventStore,
    deps.schemas,
    licensesStream(project.ownerId),
    licenses,
  );
  if (!state.licenses.some((license) => licenseCovers(license, moduleCode, project.id))) {
    throw licenseRequired(moduleCode);
  }
}

/**
 * `POST /projects/:id/modules`: who (owner or global admin, else 403) → which module (404
 * `module_not_found`) → licence for non-admins and non-core modules (403 `license_required`) → `active`.
 * Enabling an active module again records nothing; a core module is always active and records nothing.
 * With `trialEndsAt` (global admins only) the module goes on trial until then instead.
 */
export async function enableModule(
  deps: ModuleDeps,
  actor: Actor,
  projectId: string,
  input: EnableModuleInput,
  origin?: RequestOrigin,
): Promise<ModuleChange> {
  const project = await projectForModuleChange(deps, actor, projectId);
  const module = catalogEntry(deps.modules, input.moduleCode);
  const moduleCode = module.code;
  if (input.trialEndsAt !== undefined) {
    if (!canStartTrial(actor)) {
      throw refuse('admin_only', 'Only global admins may enable a module as a trial.');
    }
    if (module.isCore) throw moduleIsCore(moduleCode);
  } else {
    if (module.isCore) return { moduleCode, position: null };
    if (needsLicense(actor, module)) await assertOwnerLicensed(deps, project, moduleCode);
  }
  const trialEndsAt = input.trialEndsAt;
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      projectModulesStream(projectId),
      projectModules,
      trialEndsAt === undefined
        ? { type: 'EnableModule', projectId, moduleCode }
        : {
            type: 'StartModuleTrial',
            projectId,
            moduleCode,
            trialEndsAt,
            now: deps.clock.now().toISOString(),
          },
      eventMetadata(actor, origin),
    );
    return { moduleCode, position: outcome.position };
  });
}

/**
 * `DELETE /projects/:id/modules/:moduleCode`: owner or global admin; the module becomes `disabled` (a
 * module that is not on stays as it is). Licences are not touched: enabling it again needs no new one.
 */
export async function disableModule(
  deps: ModuleDeps,
  actor: Actor,
  projectId: string,
  moduleCode: string,
  origin?: RequestOrigin,
): Promise<ModuleChange> {
  await projectForModuleChange(deps, actor, projectId);
  const module = catalogEntry(deps.modules, moduleCode);
  if (module.isCore) throw moduleIsCore(module.code);
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      projectModulesStream(projectId),
      projectModules,
      { type: 'DisableModule', projectId, moduleCode: module.code },
      eventMetadata(actor, origin),
    );
    return { moduleCode: module.code, position: outcome.position };
  });
}
