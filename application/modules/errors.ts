import { refuse } from '../errors.ts';

/**
 * The refusals the module rules name (issue 5), with their messages: their codes are a contract with API
 * clients and the SPA (`module_not_found`, not `module-not-found`).
 */
export const moduleNotFound = (code: string) =>
  refuse('module_not_found', `There is no module "${code}": see GET /api/v1/modules.`);

export const licenseRequired = (code: string) =>
  refuse(
    'license_required',
    `Enabling the ${code} module here needs a licence: the project's owner must hold one for all projects or for this project.`,
  );

export const moduleDisabled = (code: string) =>
  refuse('module_disabled', `The ${code} module is not active in this project.`);

export const moduleIsCore = (code: string) =>
  refuse(
    'module_is_core',
    `The ${code} module is a core module: it is always active and cannot be disabled or put on trial.`,
  );
