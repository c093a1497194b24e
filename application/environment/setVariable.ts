import {
  environment,
  environmentStream,
  type StoredEnvValue,
  validateEnvName,
  validateEnvValue,
} from '../../domain/environment.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals } from '../errors.ts';
import type { SecretCipher } from '../ports/secretCipher.ts';
import type { EnvironmentDeps } from '../projects/deps.ts';
import { findManageableProject } from '../projects/queries.ts';

/** The associated data a secret's ciphertext is bound to: it decrypts only as this variable of this project. */
export function secretContext(projectId: string, name: string): string {
  return `m3m-env:${projectId}:${name}`;
}

export function storedValue(
  cipher: SecretCipher,
  projectId: string,
  name: string,
  value: string,
  secret: boolean,
): StoredEnvValue {
  return secret
    ? { secret: true, encrypted: cipher.encrypt(value, secretContext(projectId, name)) }
    : { secret: false, value };
}

/**
 * Sets a variable (owner or global admin). A secret is encrypted here, before any event is made: the event
 * log, the read model and every response only ever hold its ciphertext.
 */
export async function setVariable(
  deps: EnvironmentDeps,
  actor: Actor,
  projectId: string,
  input: { name: string; value: string; secret?: boolean },
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  await findManageableProject(deps, actor, projectId);
  refusals(() => {
    validateEnvName(input.name);
    validateEnvValue(input.value);
  });
  const value = storedValue(deps.cipher, projectId, input.name, input.value, input.secret ?? false);
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      environmentStream(projectId),
      environment,
      { type: 'SetEnvVariable', projectId, name: input.name, value },
      eventMetadata(actor, origin),
    );
    return { position: outcome.position };
  });
}

export async function deleteVariable(
  deps: EnvironmentDeps,
  actor: Actor,
  projectId: string,
  name: string,
  origin?: RequestOrigin,
): Promise<{ position: number }> {
  await findManageableProject(deps, actor, projectId);
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      environmentStream(projectId),
      environment,
      { type: 'DeleteEnvVariable', projectId, name },
      eventMetadata(actor, origin),
    );
    return { position: outcome.position! };
  });
}
