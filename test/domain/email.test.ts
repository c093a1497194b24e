import { describe, expect, it } from 'vitest';
import { EMAIL_MAX_LENGTH, isValidEmail, normalizeEmail } from '../../domain/email.ts';

describe('email', () => {
  it('compares addresses trimmed and lowercased', () => {
    expect(normalizeEmail('  Ann@Example.COM ')).toBe('ann@example.com');
  });

  it('takes one @ and a dotted domain, and refuses spaces, control characters and overlong addresses', () => {
    expect(isValidEmail('ann@example.com')).toBe(true);
    expect(isValidEmail('a.b+c@sub.example.co')).toBe(true);
    for (const bad of [
      'ann',
      'ann@example',
      'a b@example.com',
      'a@b@example.com',
      'ann@exa\u0000mple.com',
      '@example.com',
    ]) {
      expect(isValidEmail(bad), JSON.stringify(bad)).toBe(false);
    }
    const long = `${'a'.repeat(64)}@${'b'.repeat(EMAIL_MAX_LENGTH)}.com`;
    expect(isValidEmail(long)).toBe(false);
  });
});
