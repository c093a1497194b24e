import { z } from 'zod';
import type { ModuleCatalog } from '../../../application/modules/catalog.ts';
import type { EnvironmentDeps } from '../../../application/projects/deps.ts';
import type { PeopleLookup, ProjectMember, UserExists } from '../../../application/projects/members.ts';
import { COLOR_NAMES } from '../../../domain/colors.ts';
import { EMAIL_MAX_LENGTH } from '../../../domain/email.ts';
import { ENV_NAME_PATTERN } from '../../../domain/environment.ts';
import { GOAL_DESCRIPTION_MAX, GOAL_SLUG_PATTERN, GOAL_TYPES, MAX_INCREMENT } from '../../../domain/goal.ts';
import { PROJECT_NAME_MAX, PROJECT_SLUG_PATTERN } from '../../../domain/project.ts';
import type { StoreRateLimiter } from '../../auth/storeRateLimiter.ts';
import type { HttpAuth } from '../auth.ts';
import { avatarUrl } from './identitySchemas.ts';

/** What the project, goal and environment routes run on, wired in `infrastructure/composition.ts`. */
export interface ProjectRouteDeps {
  /** `modules`: for the routes that belong to a module (`requireModule`). */
  app: EnvironmentDeps & { userExists?: UserExists; people: PeopleLookup; modules: ModuleCatalog };
  auth: HttpAuth;
  apiKeyLimiter: StoreRateLimiter;
  /** Read-your-writes: resolves once the read models have caught up with `position` (null: nothing written). */
  waitFor(position: number | null): Promise<void>;
}

// Zod schemas shared by these routes: validation and the OpenAPI document come from the same rules, and the
// rules themselves from the domain.

export const ColorSchema = z
  .enum(COLOR_NAMES, { error: `must be null or one of ${COLOR_NAMES.join(', ')}` })
  .nullable()
  .meta({ description: 'One of the palette of GET /api/v1/colors, or null for none' });

export const NameSchema = z
  .string()
  .refine(
    (v) => v.trim().length >= 1 && v.trim().length <= PROJECT_NAME_MAX,
    `must be 1-${PROJECT_NAME_MAX} characters (surrounding spaces are ignored)`,
  );

export const ProjectSlugSchema = z
  .string()
  .regex(
    PROJECT_SLUG_PATTERN,
    'must be 1-48 lowercase letters, digits or hyphens, starting and ending with a letter or digit',
  );

export const GoalSlugSchema = z
  .string()
  .regex(
    GOAL_SLUG_PATTERN,
    'must be 1-48 lowercase letters, digits or underscores (no hyphen), starting and ending with a letter or digit',
  );

export const GoalTypeSchema = z.enum(GOAL_TYPES, { error: `must be one of ${GOAL_TYPES.join(', ')}` });
export const DescriptionSchema = z
  .string()
  .refine(
    (v) => v.trim().length <= GOAL_DESCRIPTION_MAX,
    `must be at most ${GOAL_DESCRIPTION_MAX} characters`,
  );
export const IncrementSchema = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(MAX_INCREMENT, `must be at most ${MAX_INCREMENT}`);

export const EnvNameSchema = z
  .string()
  .regex(ENV_NAME_PATTERN, 'must be 1-64 upper-case letters, digits or "_", not starting with a digit');

export const ProjectIdParams = z.object({ id: z.uuid('must be a project id (a UUID)') });
/** A goal by id or by slug (`{project-slug}-{goal-slug}`, or a global goal's slug). */
export const GoalParams = z.object({ goal: z.string().min(1).max(120) });
export const DaySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD (UTC)');

export const ProjectSchema = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  color: z.string().nullable(),
  ownerId: z.string().nullable(),
  memberIds: z.array(z.string()),
  apiKeyPrefix: z.string().meta({ description: 'The first characters of the current API key, for display' }),
  apiKeyRotatedAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  access: z
    .enum(['admin', 'owner', 'member', 'granted'])
    .meta({ description: 'How the caller relates to the project' }),
});

export const MemberSchema = z.object({
  userId: z.string(),
  role: z.enum(['owner', 'member']),
  name: z.string().nullable().meta({ description: 'Null when the account no longer exists' }),
  email: z.string().nullable(),
  avatarUrl: z.string().nullable(),
});

export function memberJson(member: ProjectMember): z.infer<typeof MemberSchema> {
  const { person } = member;
  return {
    userId: member.userId,
    role: member.role,
    name: person?.name ?? null,
    email: person?.email ?? null,
    avatarUrl: person?.avatarFile ? avatarUrl(person.avatarFile) : null,
  };
}

export const MemberBodySchema = z
  .object({
    userId: z.uuid('must be a user id (a UUID)').optional(),
    email: z
      .string()
      .min(1, 'must not be empty')
      .max(EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`)
      .optional()
      .meta({ description: "The user's email, as an alternative to userId" }),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.userId === undefined) === (body.email === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['userId'], message: 'give either userId or email, not both' });
    }
  });

export const ApiKeySchema = z.object({
  apiKey: z.string().meta({ description: 'Shown only now: m3m keeps only its hash' }),
  apiKeyPrefix: z.string(),
});

export const GoalSchema = z.object({
  id: z.string(),
  projectId: z.string().nullable().meta({ description: 'null for a global goal' }),
  slug: z
    .string()
    .meta({ description: 'What increments address: {project-slug}-{goal-slug} for a project goal' }),
  goalSlug: z.string(),
  name: z.string(),
  color: z.string().nullable(),
  description: z.string(),
  type: GoalTypeSchema,
  allowedProjectIds: z.array(z.string()),
  total: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const GoalStatsSchema = z.object({
  goalId: z.string(),
  slug: z.string(),
  type: GoalTypeSchema,
  total: z.number(),
  from: z.string().optional(),
  to: z.string().optional(),
  days: z.array(z.object({ day: z.string(), value: z.number() })).optional(),
});

export const EnvVariableSchema = z.object({
  name: z.string(),
  secret: z.boolean(),
  value: z.string().nullable().meta({ description: 'null for a secret' }),
  masked: z.string().nullable().meta({ description: 'A mask for a secret, null otherwise' }),
  updatedAt: z.string(),
});
