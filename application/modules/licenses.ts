import { randomUUID } from 'node:crypto';
import { licenses, licensesStream, sameActiveLicense, validateLicenseScope } from '../../domain/licenses.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { loadAggregate } from '../commands/loadAggregate.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals, refuse } from '../errors.ts';
import { PROJECTS, type ProjectDoc } from '../projects/readModel.ts';
import type { LicenseDeps } from './deps.ts';
import { canManageLicenses } from './moduleAccess.ts';
import { catalogEntry } from './projectModules.ts';

export interface GrantLicenseInput {
  moduleCode: string;
  scope: string;
  /** Required for `single_project`, refused for `all_projects`. */
  projectId?: string | null | undefined;
}

export interface GrantedLicense {
  licenseId: string;
  /** `false` when the user already held this very licence: nothing was recorded. */
  created: boolean;
  position: number | null;
}

export function assertCanManageLicenses(actor: Actor): void {
  if (!canManageLicenses(actor)) throw refuse('admin_only', 'Only global admins may do this.');
}

/**
 * Grants `userId` a licence for a module: for every project they own (`all_projects`) or for one
 * (`single_project` + `projectId`). Checked in this order: scope and project id agree (400 naming the
 * field), the user exists (404), the module exists (404 `module_not_found`) and is not core (a core module
 * needs no licence: 400), the project exists (400 naming `projectId`). Granting a licence the user already
 * holds returns it and records nothing.
 */
export async function grantLicense(
  deps: LicenseDeps,
  actor: Actor,
  userId: string,
  input: GrantLicenseInput,
  origin?: RequestOrigin,
): Promise<GrantedLicense> {
  assertCanManageLicenses(actor);
  const projectId = input.projectId ?? null;
  const scope = refusals(() => validateLicenseScope(input.scope, projectId));
  if (!(await deps.userExists(userId))) throw refuse('user_not_found', 'There is no such user.');
  const module = catalogEntry(deps.modules, input.moduleCode);
  if (module.isCore) {
    throw refuse(
      'core_module_license',
      `The ${module.code} module is a core module: it is active in every project and needs no licence.`,
      'moduleCode',
    );
  }
  if (projectId !== null && !(await deps.readStore.collection<ProjectDoc>(PROJECTS).get(projectId))) {
    throw refuse('unknown_project', 'There is no such project.', 'projectId');
  }
  const licenseId = randomUUID();
  const grant = { moduleCode: module.code, scope, projectId };
  return refusals(async () => {
    const stream = licensesStream(userId);
    const outcome = await handleCommand(
      deps,
      stream,
      licenses,
      { type: 'GrantLicense', userId, licenseId, ...grant },
      eventMetadata(actor, origin),
    );
    if (outcome.events.length > 0) return { licenseId, created: true, position: outcome.position };
    const { state } = await loadAggregate(deps.eventStore, deps.schemas, stream, licenses);
    const held = sameActiveLicense(state, grant);
    // Revoked between the decision and this read: the caller may simply try again.
    if (!held) throw refuse('license_not_found', 'The licence was revoked meanwhile; try again.');
    return { licenseId: held.licenseId, created: false, position: null };
  });
}

/**
 * Revokes one of the user's licences. Modules it allowed to enable stay as they are; enabling one again
 * needs a licence again. Revoking a revoked licence records nothing; an unknown one is 404.
 */
export async function revokeLicense(
  deps: LicenseDeps,
  actor: Actor,
  userId: string,
  licenseId: string,
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  assertCanManageLicenses(actor);
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      licensesStream(userId),
      licenses,
      { type: 'RevokeLicense', userId, licenseId },
      eventMetadata(actor, origin),
    );
    return { position: outcome.position };
  });
}
