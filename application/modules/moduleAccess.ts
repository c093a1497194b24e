import { type Actor, isGlobalAdmin } from '../context.ts';
import { canManageProject, type ProjectAccessView } from '../projects/accessPolicy.ts';

/**
 * Who may do what with modules and licences — the whole policy in one place (issue 5).
 *
 * | caller                             | see a project's modules   | enable a core module | enable another module                                                    | start a trial | disable  |
 * | ---------------------------------- | ------------------------- | -------------------- | ------------------------------------------------------------------------ | ------------- | -------- |
 * | root / global admin / system (CLI) | every project             | yes (always on)      | yes, no licence needed                                                   | yes           | yes      |
 * | the project's owner (its creator)  | yes                       | yes (always on)      | if the owner holds an active licence: `all_projects`, or `single_project` for it | no (403) | yes  |
 * | member, or granted the project     | yes                       | no (403)             | no (403)                                                                 | no (403)      | no (403) |
 * | anyone else                        | no (404, as for projects) | no (403)             | no (403)                                                                 | no (403)      | no (403) |
 *
 * The order of the checks for an enable: who (403) → which module (404 `module_not_found`) → licence (403
 * `license_required`) → status `active`. Disabling keeps the licence, so enabling again needs nothing new.
 * The module catalogue is readable by every signed-in user; each user reads their own active licences;
 * granting, revoking and listing someone's licences, and the list of every project, are for global admins.
 */

export function canChangeModules(actor: Actor, project: ProjectAccessView): boolean {
  return canManageProject(actor, project);
}

/** Whether enabling this module needs the owner's licence: for everyone but global admins, unless it is core. */
export function needsLicense(actor: Actor, module: { isCore: boolean }): boolean {
  return !isGlobalAdmin(actor) && !module.isCore;
}

export function canStartTrial(actor: Actor): boolean {
  return isGlobalAdmin(actor);
}

export function canManageLicenses(actor: Actor): boolean {
  return isGlobalAdmin(actor);
}
