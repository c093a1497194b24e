/**
 * Email addresses are compared and stored lowercased and trimmed: `Ann@Example.com` and `ann@example.com` are the
 * same account. The pattern is deliberately plain (one `@`, a dot in the domain, no spaces): the real check is
 * whether mail arrives, not whether an RFC 5322 parser agrees.
 */
export const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;
export const EMAIL_MAX_LENGTH = 254;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function isValidEmail(email: string): boolean {
  return email.length <= EMAIL_MAX_LENGTH && EMAIL_PATTERN.test(email);
}
