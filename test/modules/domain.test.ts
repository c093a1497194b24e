import { describe, expect, it } from 'vitest';
import { builtInCatalog, ModuleCatalog } from '../../application/modules/catalog.ts';
import { DomainError } from '../../domain/decider.ts';
import { type LicenseEvent, type LicensesState, licenseCovers, licenses } from '../../domain/licenses.ts';
import { BUILT_IN_MODULES } from '../../domain/moduleCatalog.ts';
import {
  effectiveStatus,
  type ProjectModulesEvent,
  type ProjectModulesState,
  projectModules,
} from '../../domain/projectModules.ts';
import { refusalOf } from '../kit/decider.ts';

const P = 'p1';
const NOW = '2030-01-01T00:00:00.000Z';

function fold<S, E>(decider: { initialState: S; evolve(s: S, e: E): S }, events: E[]): S {
  return events.reduce((s, e) => decider.evolve(s, e), decider.initialState);
}

const refusal = (work: () => unknown): string => refusalOf(work).code;

describe('module catalogue', () => {
  it('holds the built-in modules, core ones first, with at least one core and one optional module', () => {
    const catalog = builtInCatalog();
    const list = catalog.list();
    expect(list.map((m) => m.code)).toEqual(['goals', 'webhooks']);
    expect(list.every((m) => m.source === 'built-in')).toBe(true);
    expect(BUILT_IN_MODULES.some((m) => m.isCore)).toBe(true);
    expect(BUILT_IN_MODULES.some((m) => !m.isCore)).toBe(true);
    expect(catalog.coreCodes()).toEqual(['goals']);
  });

  it('takes a plugin module and refuses a second module with a taken code, naming both sources', () => {
    const catalog = builtInCatalog();
    catalog.registerModule(
      { code: 'crm', name: 'CRM', description: 'Contacts', isCore: false },
      'plugin:crm',
    );
    expect(catalog.get('crm')).toMatchObject({ code: 'crm', source: 'plugin:crm' });
    expect(() =>
      catalog.registerModule({ code: 'crm', name: 'Other', description: '', isCore: false }, 'plugin:other'),
    ).toThrow(/"crm" is declared twice: by plugin:crm and by plugin:other/);
    expect(() =>
      catalog.registerModule({ code: 'goals', name: 'G', description: '', isCore: true }, 'plugin:g'),
    ).toThrow(/declared twice/);
    expect(catalog.get('crm')?.name).toBe('CRM');
  });

  it('refuses malformed definitions', () => {
    const catalog = new ModuleCatalog();
    const bad = [
      { code: 'Upper', name: 'x', description: '', isCore: false },
      { code: 'has space', name: 'x', description: '', isCore: false },
      { code: '', name: 'x', description: '', isCore: false },
      { code: 'ok', name: '  ', description: '', isCore: false },
      { code: 'ok', name: 'x', description: '', isCore: 'yes' as unknown as boolean },
    ];
    for (const definition of bad) expect(() => catalog.registerModule(definition)).toThrow(DomainError);
    expect(catalog.list()).toEqual([]);
  });
});

describe('project modules decider', () => {
  const decide = (events: ProjectModulesEvent[], command: Parameters<typeof projectModules.decide>[0]) =>
    projectModules.decide(command, fold<ProjectModulesState, ProjectModulesEvent>(projectModules, events));
  const enabled: ProjectModulesEvent = {
    type: 'ProjectModuleEnabled',
    data: { projectId: P, moduleCode: 'crm' },
  };
  const disabled: ProjectModulesEvent = {
    type: 'ProjectModuleDisabled',
    data: { projectId: P, moduleCode: 'crm' },
  };

  it('enables once: enabling an active module again decides nothing', () => {
    expect(decide([], { type: 'EnableModule', projectId: P, moduleCode: 'crm' })).toEqual([enabled]);
    expect(decide([enabled], { type: 'EnableModule', projectId: P, moduleCode: 'crm' })).toEqual([]);
    expect(decide([enabled, disabled], { type: 'EnableModule', projectId: P, moduleCode: 'crm' })).toEqual([
      enabled,
    ]);
  });

  it('disables what is on, and nothing else', () => {
    expect(decide([], { type: 'DisableModule', projectId: P, moduleCode: 'crm' })).toEqual([]);
    expect(decide([enabled], { type: 'DisableModule', projectId: P, moduleCode: 'crm' })).toEqual([disabled]);
    expect(decide([enabled, disabled], { type: 'DisableModule', projectId: P, moduleCode: 'crm' })).toEqual(
      [],
    );
  });

  it('starts a trial with a future end, normalized to UTC; refuses a past or malformed end, and an active module', () => {
    const trial = { type: 'StartModuleTrial' as const, projectId: P, moduleCode: 'crm', now: NOW };
    expect(decide([], { ...trial, trialEndsAt: '2030-01-02T01:00:00+01:00' })).toEqual([
      {
        type: 'ProjectModuleTrialStarted',
        data: { projectId: P, moduleCode: 'crm', trialEndsAt: '2030-01-02T00:00:00.000Z' },
      },
    ]);
    expect(refusal(() => decide([], { ...trial, trialEndsAt: NOW }))).toBe('invalid_trial_end');
    expect(refusal(() => decide([], { ...trial, trialEndsAt: '2029-12-31T00:00:00Z' }))).toBe(
      'invalid_trial_end',
    );
    expect(refusal(() => decide([], { ...trial, trialEndsAt: '2030-02-01' }))).toBe('invalid_trial_end');
    expect(refusal(() => decide([], { ...trial, trialEndsAt: 'tomorrow' }))).toBe('invalid_trial_end');
    // Days a month does not have are refused, not rolled over into the next month.
    for (const end of ['2030-04-31T00:00:00Z', '2031-02-29T12:00:00+02:00', '2030-13-01T00:00:00Z']) {
      expect(
        refusal(() => decide([], { ...trial, trialEndsAt: end })),
        end,
      ).toBe('invalid_trial_end');
    }
    expect(decide([], { ...trial, trialEndsAt: '2032-02-29T00:00:00Z' })).toHaveLength(1);
    expect(refusal(() => decide([enabled], { ...trial, trialEndsAt: '2030-02-01T00:00:00Z' }))).toBe(
      'module_already_active',
    );
  });

  it('counts a trial past its end as disabled', () => {
    const setting = { status: 'trial' as const, trialEndsAt: '2030-01-02T00:00:00.000Z' };
    expect(effectiveStatus(setting, new Date('2030-01-01T23:59:59.999Z'))).toBe('trial');
    expect(effectiveStatus(setting, new Date('2030-01-02T00:00:00.000Z'))).toBe('disabled');
    expect(effectiveStatus({ status: 'active', trialEndsAt: null }, new Date('2099-01-01'))).toBe('active');
    expect(effectiveStatus(null, new Date())).toBe('disabled');
  });
});

describe('licences decider', () => {
  const U = 'u1';
  const state = (events: LicenseEvent[]) => fold<LicensesState, LicenseEvent>(licenses, events);
  const grant = (licenseId: string, scope: string, projectId: string | null, moduleCode = 'crm') =>
    ({ type: 'GrantLicense', userId: U, licenseId, moduleCode, scope, projectId }) as const;

  it('grants; the same active licence again decides nothing', () => {
    const events = licenses.decide(grant('l1', 'all_projects', null), state([]));
    expect(events).toEqual([
      {
        type: 'ModuleLicenseGranted',
        data: { licenseId: 'l1', userId: U, moduleCode: 'crm', scope: 'all_projects', projectId: null },
      },
    ]);
    expect(licenses.decide(grant('l2', 'all_projects', null), state(events))).toEqual([]);
    expect(licenses.decide(grant('l2', 'single_project', 'p'), state(events))).toHaveLength(1);
  });

  it('needs a projectId for single_project and refuses one for all_projects', () => {
    expect(refusal(() => licenses.decide(grant('l1', 'single_project', null), state([])))).toBe(
      'project_id_required',
    );
    expect(refusal(() => licenses.decide(grant('l1', 'all_projects', 'p'), state([])))).toBe(
      'project_id_not_allowed',
    );
    expect(refusal(() => licenses.decide(grant('l1', 'everything', null), state([])))).toBe('invalid_scope');
  });

  it('revokes once; an unknown licence is license_not_found', () => {
    const granted = licenses.decide(grant('l1', 'single_project', 'p'), state([]));
    const revoked = licenses.decide({ type: 'RevokeLicense', userId: U, licenseId: 'l1' }, state(granted));
    expect(revoked).toEqual([
      { type: 'ModuleLicenseRevoked', data: { licenseId: 'l1', userId: U, moduleCode: 'crm' } },
    ]);
    expect(
      licenses.decide({ type: 'RevokeLicense', userId: U, licenseId: 'l1' }, state([...granted, ...revoked])),
    ).toEqual([]);
    expect(
      refusal(() => licenses.decide({ type: 'RevokeLicense', userId: U, licenseId: 'x' }, state([]))),
    ).toBe('license_not_found');
    // After a revocation the same grant is a new licence.
    expect(licenses.decide(grant('l2', 'single_project', 'p'), state([...granted, ...revoked]))).toHaveLength(
      1,
    );
  });

  it('covers: all_projects everywhere, single_project in its project only, never once revoked or for another module', () => {
    const all = {
      licenseId: 'a',
      moduleCode: 'crm',
      scope: 'all_projects' as const,
      projectId: null,
      revoked: false,
    };
    const one = {
      licenseId: 'b',
      moduleCode: 'crm',
      scope: 'single_project' as const,
      projectId: 'p',
      revoked: false,
    };
    expect(licenseCovers(all, 'crm', 'anything')).toBe(true);
    expect(licenseCovers(all, 'webhooks', 'anything')).toBe(false);
    expect(licenseCovers(one, 'crm', 'p')).toBe(true);
    expect(licenseCovers(one, 'crm', 'q')).toBe(false);
    expect(licenseCovers({ ...all, revoked: true }, 'crm', 'p')).toBe(false);
  });
});
