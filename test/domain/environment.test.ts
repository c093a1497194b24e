import { describe, it } from 'vitest';
import { ENV_VALUE_MAX_BYTES, type EnvironmentEvent, environment } from '../../domain/environment.ts';
import { deciderSpec } from '../kit/decider.ts';

const given = deciderSpec(environment);
const projectId = 'p1';
const set = (name: string, value: string): EnvironmentEvent => ({
  type: 'EnvVariableSet',
  data: { projectId, name, secret: false, value },
});

describe('environment', () => {
  it('sets a variable, and setting the same value again changes nothing', () => {
    given()
      .when({ type: 'SetEnvVariable', projectId, name: 'MODE', value: { secret: false, value: 'live' } })
      .then([set('MODE', 'live')]);
    given([set('MODE', 'live')])
      .when({ type: 'SetEnvVariable', projectId, name: 'MODE', value: { secret: false, value: 'live' } })
      .then([]);
  });

  it('keeps a secret only as the ciphertext it is given, and always records a new one', () => {
    const secret = { secret: true as const, encrypted: 'v1:abc' };
    given()
      .when({ type: 'SetEnvVariable', projectId, name: 'TOKEN', value: secret })
      .then([{ type: 'EnvVariableSet', data: { projectId, name: 'TOKEN', ...secret } }]);
  });

  it('deletes a variable that exists, and refuses one that does not', () => {
    given([set('MODE', 'live')])
      .when({ type: 'DeleteEnvVariable', projectId, name: 'MODE' })
      .then([{ type: 'EnvVariableDeleted', data: { projectId, name: 'MODE' } }]);
    given()
      .when({ type: 'DeleteEnvVariable', projectId, name: 'MODE' })
      .thenRefuses('env_variable_not_found');
  });

  it('refuses a name that is not an upper-case identifier, and a value beyond the limit', () => {
    for (const name of ['mode', '1MODE', 'MO-DE', '', 'X'.repeat(65)]) {
      given()
        .when({ type: 'SetEnvVariable', projectId, name, value: { secret: false, value: 'x' } })
        .thenRefuses('invalid_env_name');
    }
    given()
      .when({
        type: 'SetEnvVariable',
        projectId,
        name: 'BIG',
        value: { secret: false, value: 'x'.repeat(ENV_VALUE_MAX_BYTES + 1) },
      })
      .thenRefuses('invalid_env_value');
  });
});
