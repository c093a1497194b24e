import { type Decider, DomainError } from './decider.ts';

/**
 * Which optional modules a project has on: one stream per project (`project-modules-<projectId>`). Core
 * modules never appear here: they are on everywhere, which the application decides from the catalogue.
 *
 * - `EnableModule` makes a module `active`; enabling an active module again decides nothing.
 * - `StartModuleTrial` makes it `trial` until `trialEndsAt` (a future instant). A trial of a module that is
 *   already active is refused: it would switch the module off at a date nobody asked for.
 * - `DisableModule` makes it `disabled`; disabling a module that is not on decides nothing.
 *
 * A trial whose end has passed stays `trial` in the state and the events (nothing happens at that instant);
 * `effectiveStatus` turns it into `disabled` for whoever reads it at a later time.
 */
export const MODULE_STATUSES = ['active', 'trial', 'disabled'] as const;
export type ModuleStatus = (typeof MODULE_STATUSES)[number];

export interface ModuleSetting {
  status: ModuleStatus;
  /** Set while the status is `trial`. ISO 8601. */
  trialEndsAt: string | null;
}

export interface ProjectModulesState {
  modules: Readonly<Record<string, ModuleSetting>>;
}

export type ProjectModulesCommand =
  | { type: 'EnableModule'; projectId: string; moduleCode: string }
  | { type: 'DisableModule'; projectId: string; moduleCode: string }
  /** `now` comes in the command: the decider has no clock. */
  | { type: 'StartModuleTrial'; projectId: string; moduleCode: string; trialEndsAt: string; now: string };

export type ProjectModulesEvent =
  | { type: 'ProjectModuleEnabled'; data: { projectId: string; moduleCode: string } }
  | { type: 'ProjectModuleDisabled'; data: { projectId: string; moduleCode: string } }
  | {
      type: 'ProjectModuleTrialStarted';
      data: { projectId: string; moduleCode: string; trialEndsAt: string };
    };

export const PROJECT_MODULE_EVENT_TYPES = [
  'ProjectModuleEnabled',
  'ProjectModuleDisabled',
  'ProjectModuleTrialStarted',
] as const satisfies readonly ProjectModulesEvent['type'][];

export function projectModulesStream(projectId: string): string {
  return `project-modules-${projectId}`;
}

/** The status as it holds at `now`: a trial past its end counts as disabled. */
export function effectiveStatus(setting: ModuleSetting | null | undefined, now: Date): ModuleStatus {
  if (!setting) return 'disabled';
  if (setting.status === 'trial') {
    const end = Date.parse(setting.trialEndsAt ?? '');
    return Number.isFinite(end) && end > now.getTime() ? 'trial' : 'disabled';
  }
  return setting.status;
}

/** Whether a module is on at `now`: active, or in a trial that has not ended. */
export function isOn(setting: ModuleSetting | null | undefined, now: Date): boolean {
  return effectiveStatus(setting, now) !== 'disabled';
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Whether the calendar has this day: `Date.parse` would roll 2030-04-31 over into May instead of refusing it. */
function isCalendarDay(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A trial's end: an ISO 8601 date-time with a zone, after `now`. Returns it normalized to UTC. */
export function validateTrialEnd(trialEndsAt: string, now: string): string {
  const match = ISO_INSTANT.exec(trialEndsAt);
  const end =
    match && isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3]))
      ? Date.parse(trialEndsAt)
      : Number.NaN;
  if (!Number.isFinite(end)) {
    throw new DomainError(
      'invalid_trial_end',
      'trialEndsAt must be an ISO 8601 date-time with a time zone, e.g. 2030-01-31T00:00:00Z.',
    );
  }
  if (end <= Date.parse(now))
    throw new DomainError('invalid_trial_end', 'trialEndsAt must be in the future.');
  return new Date(end).toISOString();
}

export const projectModules: Decider<ProjectModulesCommand, ProjectModulesState, ProjectModulesEvent> = {
  initialState: { modules: {} },

  decide(command, state) {
    const { projectId, moduleCode } = command;
    const current = state.modules[moduleCode];
    switch (command.type) {
      case 'EnableModule':
        if (current?.status === 'active') return [];
        return [{ type: 'ProjectModuleEnabled', data: { projectId, moduleCode } }];
      case 'DisableModule':
        if (!current || current.status === 'disabled') return [];
        return [{ type: 'ProjectModuleDisabled', data: { projectId, moduleCode } }];
      case 'StartModuleTrial': {
        const trialEndsAt = validateTrialEnd(command.trialEndsAt, command.now);
        if (current?.status === 'active') {
          throw new DomainError(
            'module_already_active',
            `The ${moduleCode} module is already active in this project; disable it first to start a trial.`,
          );
        }
        if (current?.status === 'trial' && current.trialEndsAt === trialEndsAt) return [];
        return [{ type: 'ProjectModuleTrialStarted', data: { projectId, moduleCode, trialEndsAt } }];
      }
    }
  },

  evolve(state, event) {
    const { moduleCode } = event.data;
    const setting: ModuleSetting =
      event.type === 'ProjectModuleTrialStarted'
        ? { status: 'trial', trialEndsAt: event.data.trialEndsAt }
        : { status: event.type === 'ProjectModuleEnabled' ? 'active' : 'disabled', trialEndsAt: null };
    return { modules: { ...state.modules, [moduleCode]: setting } };
  },
};
