import { type Decider, DomainError } from './decider.ts';

/**
 * A user's module licences: one stream per user (`module-licenses-<userId>`). A licence lets the owner of a
 * project enable a (non-core) module there: in every project they own (`all_projects`) or in one
 * (`single_project`, with its `projectId`). Global admins grant and revoke them.
 *
 * - Granting a licence the user already holds (same module, scope and project, not revoked) decides nothing.
 * - Revoking a revoked licence decides nothing; revoking one the user never had is `license_not_found`.
 * - A revoked licence stays in the history, never active again: a new grant is a new licence.
 */
export const LICENSE_SCOPES = ['all_projects', 'single_project'] as const;
export type LicenseScope = (typeof LICENSE_SCOPES)[number];

export interface License {
  licenseId: string;
  moduleCode: string;
  scope: LicenseScope;
  /** The project of a `single_project` licence; `null` for `all_projects`. */
  projectId: string | null;
  revoked: boolean;
}

export interface LicensesState {
  licenses: readonly License[];
}

export type LicenseCommand =
  | {
      type: 'GrantLicense';
      userId: string;
      licenseId: string;
      moduleCode: string;
      scope: string;
      projectId: string | null;
    }
  | { type: 'RevokeLicense'; userId: string; licenseId: string };

export type LicenseEvent =
  | {
      type: 'ModuleLicenseGranted';
      data: {
        licenseId: string;
        userId: string;
        moduleCode: string;
        scope: LicenseScope;
        projectId: string | null;
      };
    }
  | { type: 'ModuleLicenseRevoked'; data: { licenseId: string; userId: string; moduleCode: string } };

export const LICENSE_EVENT_TYPES = [
  'ModuleLicenseGranted',
  'ModuleLicenseRevoked',
] as const satisfies readonly LicenseEvent['type'][];

export function licensesStream(userId: string): string {
  return `module-licenses-${userId}`;
}

export function isLicenseScope(value: string): value is LicenseScope {
  return (LICENSE_SCOPES as readonly string[]).includes(value);
}

/** Scope and project must agree: `single_project` names one, `all_projects` names none. */
export function validateLicenseScope(scope: string, projectId: string | null): LicenseScope {
  if (!isLicenseScope(scope)) {
    throw new DomainError('invalid_scope', `scope must be one of ${LICENSE_SCOPES.join(', ')}.`);
  }
  if (scope === 'single_project' && projectId === null) {
    throw new DomainError('project_id_required', 'A single_project licence needs the projectId it is for.');
  }
  if (scope === 'all_projects' && projectId !== null) {
    throw new DomainError(
      'project_id_not_allowed',
      'An all_projects licence covers every project: leave projectId out.',
    );
  }
  return scope;
}

/** Whether this licence lets its holder enable `moduleCode` in `projectId`. */
export function licenseCovers(license: License, moduleCode: string, projectId: string): boolean {
  if (license.revoked || license.moduleCode !== moduleCode) return false;
  return license.scope === 'all_projects' || license.projectId === projectId;
}

/** The active licence equal to this grant, if the user holds one. */
export function sameActiveLicense(
  state: LicensesState,
  grant: { moduleCode: string; scope: string; projectId: string | null },
): License | undefined {
  return state.licenses.find(
    (l) =>
      !l.revoked &&
      l.moduleCode === grant.moduleCode &&
      l.scope === grant.scope &&
      l.projectId === grant.projectId,
  );
}

export const licenses: Decider<LicenseCommand, LicensesState, LicenseEvent> = {
  initialState: { licenses: [] },

  decide(command, state) {
    switch (command.type) {
      case 'GrantLicense': {
        const scope = validateLicenseScope(command.scope, command.projectId);
        if (sameActiveLicense(state, command)) return [];
        if (state.licenses.some((l) => l.licenseId === command.licenseId)) {
          throw new DomainError('license_exists', 'A licence with this id exists already.');
        }
        const { userId, licenseId, moduleCode, projectId } = command;
        return [{ type: 'ModuleLicenseGranted', data: { licenseId, userId, moduleCode, scope, projectId } }];
      }
      case 'RevokeLicense': {
        const license = state.licenses.find((l) => l.licenseId === command.licenseId);
        if (!license) throw new DomainError('license_not_found', 'This user has no such licence.');
        if (license.revoked) return [];
        return [
          {
            type: 'ModuleLicenseRevoked',
            data: { licenseId: license.licenseId, userId: command.userId, moduleCode: license.moduleCode },
          },
        ];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ModuleLicenseGranted': {
        const { licenseId, moduleCode, scope, projectId } = event.data;
        return { licenses: [...state.licenses, { licenseId, moduleCode, scope, projectId, revoked: false }] };
      }
      case 'ModuleLicenseRevoked':
        return {
          licenses: state.licenses.map((l) =>
            l.licenseId === event.data.licenseId ? { ...l, revoked: true } : l,
          ),
        };
    }
  },
};
