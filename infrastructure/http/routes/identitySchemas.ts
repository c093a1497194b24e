import { z } from 'zod';
import { effectivePermissions, PERMISSIONS } from '../../../application/identity/permissions.ts';
import type { UserView } from '../../../application/identity/userDirectory.ts';
import { EMAIL_MAX_LENGTH, EMAIL_PATTERN } from '../../../domain/email.ts';
import { PASSWORD_RULE, passwordProblem } from '../../../domain/password.ts';
import { NAME_MAX_LENGTH, nameProblem, PROJECT_ID_PATTERN } from '../../../domain/user.ts';
import { API_PREFIX } from '../app.ts';

/** Zod schemas shared by the identity routes: validation and the OpenAPI document come from the same rules. */

export const EmailSchema = z
  .email({ pattern: EMAIL_PATTERN, error: 'must be an email address' })
  .max(EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`);

/** A new password: the rule is checked here too so the 400 names the field and states the rule. */
export const NewPasswordSchema = z
  .string({ error: `must be a string: ${PASSWORD_RULE}` })
  .superRefine((value, ctx) => {
    const problem = passwordProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `The password ${problem}` });
  })
  .meta({ description: `At least one letter and one digit; ${PASSWORD_RULE}.` });

/** A password to check against a stored one: no strength rule (it is not being set). */
export const GivenPasswordSchema = z.string().min(1, 'must not be empty').max(1024);

export const NameSchema = z
  .string()
  .superRefine((value, ctx) => {
    const problem = nameProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `The name ${problem}` });
  })
  .meta({ description: `1 to ${NAME_MAX_LENGTH} characters, no control characters; trimmed.` });

export const PermissionSchema = z.enum(PERMISSIONS);
export const ProjectIdSchema = z
  .string()
  .regex(PROJECT_ID_PATTERN, 'must be 1-64 letters, digits, "_" or "-"');
export const AssignableRoleSchema = z.enum(['admin', 'user']);

export const UserIdParams = z.object({ id: z.uuid('must be a user id (a UUID)') });

export const UserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(['root', 'admin', 'user']),
  /** Effective: global admins hold every permission. */
  permissions: z.array(PermissionSchema),
  projectIds: z.array(z.string()),
  blocked: z.boolean(),
  avatarUrl: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type UserJson = z.infer<typeof UserSchema>;

export const TokenSchema = z.object({
  token: z.string(),
  tokenType: z.literal('Bearer'),
  expiresAt: z.string(),
});

export const avatarUrl = (file: string) => `${API_PREFIX}/avatars/${file}`;

/** The one way a user leaves the API: no hash, no session version, effective permissions. */
export function toUserJson(user: UserView): UserJson {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    permissions: effectivePermissions(user.role, user.permissions),
    projectIds: user.projectIds,
    blocked: user.blocked,
    avatarUrl: user.avatar ? avatarUrl(user.avatar.file) : null,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}
