import { DomainError } from '../../domain/decider.ts';
import { ApplicationError, type ApplicationErrorKind, accessDenied, notFound } from '../errors.ts';
import { toApplicationError as projectRefusal } from '../projects/errors.ts';

/**
 * The three refusals the module rules name (issue 5): their codes are a contract with API clients and the SPA,
 * and the HTTP layer sends them as they are (`module_not_found`, not `module-not-found`).
 */
export const moduleNotFound = (code: string) =>
  notFound(`There is no module "${code}": see GET /api/v1/modules.`, 'module_not_found');

export const licenseRequired = (code: string) =>
  accessDenied(
    `Enabling the ${code} module here needs a licence: the project's owner must hold one for all projects or for this project.`,
    'license_required',
  );

export const moduleDisabled = (code: string) =>
  accessDenied(`The ${code} module is not active in this project.`, 'module_disabled');

export const moduleIsCore = (code: string) =>
  new ApplicationError(
    'conflict',
    'module_is_core',
    `The ${code} module is a core module: it is always active and cannot be disabled or put on trial.`,
  );

/** How the refusals of the project-modules and licences deciders reach the caller: kind and field. */
const REFUSALS: Record<string, { kind: ApplicationErrorKind; field?: string }> = {
  invalid_trial_end: { kind: 'invalid', field: 'trialEndsAt' },
  module_already_active: { kind: 'conflict' },
  invalid_scope: { kind: 'invalid', field: 'scope' },
  project_id_required: { kind: 'invalid', field: 'projectId' },
  project_id_not_allowed: { kind: 'invalid', field: 'projectId' },
  license_not_found: { kind: 'not_found' },
  license_exists: { kind: 'conflict' },
};

function toApplicationError(error: unknown): unknown {
  if (error instanceof DomainError) {
    const refusal = REFUSALS[error.code];
    if (refusal) return new ApplicationError(refusal.kind, error.code, error.message, refusal.field);
  }
  return projectRefusal(error);
}

/** Runs `work`, turning domain refusals into application errors that name the field at fault. */
export async function moduleRefusals<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toApplicationError(error);
  }
}

export function validatingModules<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw toApplicationError(error);
  }
}
