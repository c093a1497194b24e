import { z } from 'zod';
import type { LicenseDeps } from '../../../application/modules/deps.ts';
import { LICENSE_SCOPES } from '../../../domain/licenses.ts';
import { MODULE_STATUSES } from '../../../domain/projectModules.ts';
import type { HttpAuth } from '../auth.ts';
import { ProjectIdParams, ProjectSchema } from './projectSchemas.ts';

/** What the module, licence and admin-project routes run on, wired in `infrastructure/composition.ts`. */
export interface ModuleRouteDeps {
  app: LicenseDeps;
  auth: HttpAuth;
  /** Read-your-writes: resolves once the read models have caught up with `position` (null: nothing written). */
  waitFor(position: number | null): Promise<void>;
}

/** Any code is accepted here: an unknown one is a 404 `module_not_found`, not a 400. */
export const ModuleCodeSchema = z.string().min(1, 'must not be empty').max(100);

export const ModuleParams = ProjectIdParams.extend({ moduleCode: ModuleCodeSchema });

export const CatalogModuleSchema = z.object({
  code: z.string(),
  name: z.string(),
  description: z.string(),
  isCore: z.boolean().meta({ description: 'Core modules are active in every project and need no licence' }),
  source: z.string().meta({ description: '"built-in", or "plugin:<name>" for a module a plugin declares' }),
});

export const ProjectModuleSchema = z.object({
  moduleName: z.string().meta({ description: "The module's code" }),
  status: z.enum(MODULE_STATUSES).meta({
    description: 'Now: a trial whose end has passed is "disabled"; a core module is always "active"',
  }),
  isCore: z.boolean(),
  trialEndsAt: z
    .string()
    .optional()
    .meta({ description: 'For a module put on trial: when the trial ends (or ended)' }),
});

export const EnableModuleBody = z
  .object({
    moduleCode: ModuleCodeSchema,
    trialEndsAt: z.string().max(64).optional().meta({
      description:
        'Global admins only: enable the module as a trial until this ISO 8601 date-time (with a zone, in the future)',
    }),
  })
  .strict();

export const LicenseScopeSchema = z.enum(LICENSE_SCOPES, {
  error: `must be one of ${LICENSE_SCOPES.join(', ')}`,
});

export const GrantLicenseBody = z
  .object({
    moduleCode: ModuleCodeSchema,
    scope: LicenseScopeSchema,
    projectId: z
      .uuid('must be a project id (a UUID)')
      .nullish()
      .meta({ description: 'Required for single_project, refused for all_projects' }),
  })
  .strict();

export const LicenseSchema = z.object({
  id: z.string(),
  userId: z.string(),
  moduleCode: z.string(),
  scope: LicenseScopeSchema,
  projectId: z.string().nullable().meta({ description: 'The project of a single_project licence' }),
  active: z.boolean().meta({ description: 'false once revoked' }),
  grantedAt: z.string(),
  grantedBy: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
});

export const LicenseParams = z.object({
  id: z.uuid('must be a user id (a UUID)'),
  licenseId: z.uuid('must be a licence id (a UUID)'),
});

export const AdminProjectSchema = ProjectSchema.extend({
  owner: z
    .object({ id: z.string(), email: z.string(), name: z.string() })
    .nullable()
    .meta({ description: 'null when the CLI created the project or its owner was deleted' }),
});
