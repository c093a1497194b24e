import { describe, expect, it } from 'vitest';
import { PASSWORD_MAX_BYTES, PASSWORD_RULE, passwordProblem } from '../../domain/password.ts';

describe('password rule', () => {
  it('accepts 10 to 72 bytes with a letter and a digit', () => {
    expect(passwordProblem('correct horse 42')).toBeNull();
    expect(passwordProblem('ünïcödé-pässwörd-1')).toBeNull();
  });

  it('says what is wrong, quoting the rule, never the password', () => {
    const cases: [string, string][] = [
      ['short-1', 'is too short'],
      [`a1${'x'.repeat(PASSWORD_MAX_BYTES)}`, 'is too long'],
      ['1234567890123', 'has no letter'],
      ['no-digits-here', 'has no digit'],
    ];
    for (const [password, problem] of cases) {
      const found = passwordProblem(password);
      expect(found).toBe(`${problem}: ${PASSWORD_RULE}`);
      expect(found).not.toContain(password);
    }
  });

  it('counts bytes, not characters: bcrypt reads at most 72 bytes', () => {
    expect(passwordProblem(`1${'é'.repeat(36)}`)).toMatch(/too long/); // 73 bytes in 37 characters
  });
});
