import type { Actor } from '../context.ts';
import { findAll } from '../ports/findAll.ts';
import type { EnvironmentDeps, ProjectDeps } from '../projects/deps.ts';
import { findVisibleProject } from '../projects/queries.ts';
import { type EnvVariableDoc, PROJECT_ENV } from '../projects/readModel.ts';
import { secretContext } from './setVariable.ts';

export const SECRET_MASK = '••••••';

/** A variable as the API shows it: a secret's value is never returned, only the mask. */
export interface EnvVariableView {
  name: string;
  secret: boolean;
  /** `null` for a secret. */
  value: string | null;
  /** `'••••••'` for a secret, `null` otherwise. */
  masked: string | null;
  updatedAt: string;
}

function variables(deps: ProjectDeps, projectId: string): Promise<EnvVariableDoc[]> {
  return findAll(deps.readStore.collection<EnvVariableDoc>(PROJECT_ENV), { projectId }, { name: 1 });
}

/** For the project's settings page: whoever may see the project sees the names, values of non-secrets, and masks. */
export async function listEnvironment(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
): Promise<EnvVariableView[]> {
  await findVisibleProject(deps, actor, projectId);
  return (await variables(deps, projectId)).map((doc) => ({
    name: doc.name,
    secret: doc.secret,
    value: doc.secret ? null : doc.value,
    masked: doc.secret ? SECRET_MASK : null,
    updatedAt: doc.updatedAt,
  }));
}

/**
 * The project's variables with secrets decrypted, for the worker runtime only (`m3m.env.get`). Never expose
 * this through the API.
 */
export async function readEnvironment(
  deps: EnvironmentDeps,
  projectId: string,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const doc of await variables(deps, projectId)) {
    env[doc.name] = doc.secret
      ? deps.cipher.decrypt(doc.encrypted ?? '', secretContext(projectId, doc.name))
      : (doc.value ?? '');
  }
  return env;
}
