/**
 * The password rule, stated once: error messages, the CLI and the docs quote `PASSWORD_RULE`.
 * 72 bytes is where bcrypt stops reading; a longer password would silently lose its tail.
 */
export const PASSWORD_MIN_BYTES = 10;
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_RULE = `a password needs ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes (UTF-8) with at least one letter and one digit`;

/** `null` when the password follows the rule, else what is wrong with it (never the password itself). */
export function passwordProblem(password: string): string | null {
  const bytes = new TextEncoder().encode(password).length;
  if (bytes < PASSWORD_MIN_BYTES) return `is too short: ${PASSWORD_RULE}`;
  if (bytes > PASSWORD_MAX_BYTES) return `is too long: ${PASSWORD_RULE}`;
  if (!/\p{L}/u.test(password)) return `has no letter: ${PASSWORD_RULE}`;
  if (!/\p{Nd}/u.test(password)) return `has no digit: ${PASSWORD_RULE}`;
  return null;
}
