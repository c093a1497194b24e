import { describe, expect, it } from 'vitest';
import { BUILT_IN_MODULES, validateModuleDefinition } from '../../domain/moduleCatalog.ts';
import { refusalOf } from '../kit/decider.ts';

describe('module catalogue definitions', () => {
  it('ships goals (core) and webhooks (optional), both valid', () => {
    expect(BUILT_IN_MODULES.map((m) => [m.code, m.isCore])).toEqual([
      ['goals', true],
      ['webhooks', false],
    ]);
    for (const m of BUILT_IN_MODULES) expect(validateModuleDefinition(m)).toEqual(m);
  });

  it('trims names and descriptions', () => {
    expect(
      validateModuleDefinition({ code: 'crm', name: ' CRM ', description: ' Contacts ', isCore: false }),
    ).toEqual({
      code: 'crm',
      name: 'CRM',
      description: 'Contacts',
      isCore: false,
    });
  });

  it('refuses a code that is not URL-safe, and a missing name or a non-boolean isCore', () => {
    const ok = { code: 'crm', name: 'CRM', description: '', isCore: false };
    for (const code of ['CRM', '1crm', 'c rm', '', 'x'.repeat(49)]) {
      expect(refusalOf(() => validateModuleDefinition({ ...ok, code })).code, code).toBe(
        'invalid_module_code',
      );
    }
    expect(refusalOf(() => validateModuleDefinition({ ...ok, name: ' ' })).code).toBe('invalid_module');
    expect(refusalOf(() => validateModuleDefinition({ ...ok, description: 'x'.repeat(1001) })).code).toBe(
      'invalid_module',
    );
    expect(refusalOf(() => validateModuleDefinition({ ...ok, isCore: 'yes' as never })).code).toBe(
      'invalid_module',
    );
  });
});
