import { type Decider, DomainError } from './decider.ts';

/** Like a shell variable: upper-case letters, digits and underscores, not starting with a digit, ≤ 64 chars. */
export const ENV_NAME_PATTERN = /^[A-Z_][A-Z0-9_]{0,63}$/;
/** In UTF-8 bytes. */
export const ENV_VALUE_MAX_BYTES = 32 * 1024;

/**
 * A variable's value as it may enter an event: in clear when it is not a secret, otherwise only as the
 * ciphertext the application made with the secrets key. The decider never sees a secret in clear.
 */
export type StoredEnvValue = { secret: false; value: string } | { secret: true; encrypted: string };

export type EnvironmentCommand =
  | { type: 'SetEnvVariable'; projectId: string; name: string; value: StoredEnvValue }
  | { type: 'DeleteEnvVariable'; projectId: string; name: string };

export type EnvironmentEvent =
  | { type: 'EnvVariableSet'; data: { projectId: string; name: string } & StoredEnvValue }
  | { type: 'EnvVariableDeleted'; data: { projectId: string; name: string } };

export const ENVIRONMENT_EVENT_TYPES = ['EnvVariableSet', 'EnvVariableDeleted'] as const;

export interface EnvironmentState {
  /** name → the stored value (ciphertext for secrets). */
  variables: Readonly<Record<string, StoredEnvValue>>;
}

export function environmentStream(projectId: string): string {
  return `environment-${projectId}`;
}

export function validateEnvName(name: string): void {
  if (!ENV_NAME_PATTERN.test(name)) {
    throw new DomainError(
      'invalid_env_name',
      'A variable name is 1–64 upper-case letters, digits or underscores and does not start with a digit.',
    );
  }
}

/** Checked on the clear value, before a secret is encrypted. */
export function validateEnvValue(value: string): void {
  if (Buffer.byteLength(value, 'utf8') > ENV_VALUE_MAX_BYTES) {
    throw new DomainError('invalid_env_value', `A value is at most ${ENV_VALUE_MAX_BYTES} bytes (UTF-8).`);
  }
}

export const environment: Decider<EnvironmentCommand, EnvironmentState, EnvironmentEvent> = {
  initialState: { variables: {} },

  decide(command, state) {
    validateEnvName(command.name);
    const current = state.variables[command.name];
    if (command.type === 'DeleteEnvVariable') {
      if (!current) throw new DomainError('env_variable_not_found', `There is no variable ${command.name}.`);
      return [{ type: 'EnvVariableDeleted', data: { projectId: command.projectId, name: command.name } }];
    }
    const { value } = command;
    if (!value.secret) {
      validateEnvValue(value.value);
      if (current && !current.secret && current.value === value.value) return [];
    }
    return [{ type: 'EnvVariableSet', data: { projectId: command.projectId, name: command.name, ...value } }];
  },

  evolve(state, event) {
    const variables = { ...state.variables };
    if (event.type === 'EnvVariableDeleted') delete variables[event.data.name];
    else {
      const { projectId: _p, name, ...value } = event.data;
      variables[name] = value as StoredEnvValue;
    }
    return { variables };
  },
};
