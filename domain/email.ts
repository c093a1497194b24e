/**
 * Email addresses are compared and stored lowercased and trimmed: `Ann@Example.com` and `ann@example.com` are the
 * same account. The pattern is deliberately plain (one `@`, a dot in the domain, no spaces or control characters):
 * the real check is whether mail arrives, not whether an RFC 5322 parser agrees.
 */
export const EMAIL_PATTERN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters (NUL…) are exactly what is refused
  /^[^\s@\u0000-\u001f\u007f]{1,64}@[^\s@.\u0000-\u001f\u007f]+(\.[^\s@.\u0000-\u001f\u007f]+)+$/;
export const EMAIL_MAX_LENGTH = 254;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function isValidEmail(email: string): boolean {
  return email.length <= EMAIL_MAX_LENGTH && EMAIL_PATTERN.test(email);
}
