import { describe, expect, it } from 'vitest';
import {
  effectiveStatus,
  type ProjectModulesEvent,
  projectModules,
  validateTrialEnd,
} from '../../domain/projectModules.ts';
import { deciderSpec, refusalOf } from '../kit/decider.ts';

const given = deciderSpec(projectModules);
const ids = { projectId: 'p1', moduleCode: 'crm' };
const now = '2030-01-01T00:00:00.000Z';
const enabled: ProjectModulesEvent = { type: 'ProjectModuleEnabled', data: ids };
const disabled: ProjectModulesEvent = { type: 'ProjectModuleDisabled', data: ids };

describe('project modules', () => {
  it('enables and disables only when that changes the status', () => {
    given()
      .when({ type: 'EnableModule', ...ids })
      .then([enabled]);
    given([enabled])
      .when({ type: 'EnableModule', ...ids })
      .then([]);
    given([enabled])
      .when({ type: 'DisableModule', ...ids })
      .then([disabled]);
    given()
      .when({ type: 'DisableModule', ...ids })
      .then([]);
  });

  it('starts a trial ending in the future, normalized to UTC; never over an active module', () => {
    given()
      .when({ type: 'StartModuleTrial', ...ids, trialEndsAt: '2030-02-01T02:00:00+02:00', now })
      .then([
        { type: 'ProjectModuleTrialStarted', data: { ...ids, trialEndsAt: '2030-02-01T00:00:00.000Z' } },
      ]);
    given([enabled])
      .when({ type: 'StartModuleTrial', ...ids, trialEndsAt: '2030-02-01T00:00:00Z', now })
      .thenRefuses('module_already_active');
  });

  it('refuses a trial end that is not a real future instant with a zone', () => {
    for (const end of [
      '2030-04-31T00:00:00Z',
      '2031-02-29T00:00:00Z',
      '2030-02-01',
      '2029-12-31T00:00:00Z',
      'soon',
    ]) {
      expect(refusalOf(() => validateTrialEnd(end, now)).code, end).toBe('invalid_trial_end');
    }
  });

  it('counts a trial past its end as disabled', () => {
    const trial = { status: 'trial' as const, trialEndsAt: '2030-01-02T00:00:00.000Z' };
    expect(effectiveStatus(trial, new Date('2030-01-01T12:00:00Z'))).toBe('trial');
    expect(effectiveStatus(trial, new Date('2030-01-02T00:00:00Z'))).toBe('disabled');
    expect(effectiveStatus(undefined, new Date(now))).toBe('disabled');
    expect(given([enabled]).state().modules.crm).toEqual({ status: 'active', trialEndsAt: null });
  });
});
