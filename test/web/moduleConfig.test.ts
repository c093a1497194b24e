import { describe, expect, it } from 'vitest';
import { MODULES, mayUse, moduleOfPath, visibleModules } from '@/app/modules';

const catalogCodes = ['goals', 'webhooks'];

describe('the module config', () => {
  it('keys each entry by a catalogue code, with a base path of its own', () => {
    for (const m of MODULES) expect(catalogCodes).toContain(m.id);
    const paths = MODULES.map((m) => m.basePath);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('shows only the modules enabled in the project', () => {
    const shown = visibleModules(MODULES, new Set(['goals']), 'owner').map((m) => m.id);
    expect(shown).toEqual(['goals']);
    const both = visibleModules(MODULES, new Set(['goals', 'webhooks']), 'owner').map((m) => m.id);
    expect(both).toEqual(['goals', 'webhooks']);
  });

  it('hides a module that needs management from a plain member, even when enabled', () => {
    const member = visibleModules(MODULES, new Set(['goals', 'webhooks']), 'member').map((m) => m.id);
    expect(member).toEqual(['goals']);
    expect(mayUse('manager', 'admin')).toBe(true);
    expect(mayUse('manager', 'granted')).toBe(false);
    expect(mayUse('member', 'granted')).toBe(true);
  });

  it('finds the module of a project-relative path', () => {
    expect(moduleOfPath(MODULES, 'webhooks')?.id).toBe('webhooks');
    expect(moduleOfPath(MODULES, '/goals/abc')?.id).toBe('goals');
    expect(moduleOfPath(MODULES, 'environment')).toBeNull();
    expect(moduleOfPath(MODULES, '')).toBeNull();
  });
});
