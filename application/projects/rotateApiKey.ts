import { project, projectStream } from '../../domain/project.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals } from '../errors.ts';
import { generateApiKey } from './apiKeys.ts';
import type { ProjectDeps } from './deps.ts';
import { findManageableProject } from './queries.ts';

/**
 * Replaces the project's API key. The new key is returned once; the old one stops working as soon as the
 * projects read model has the new hash (wait for `position` before handing the key out).
 */
export async function rotateApiKey(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  origin?: RequestOrigin,
): Promise<{ apiKey: string; apiKeyPrefix: string; position: number }> {
  await findManageableProject(deps, actor, projectId);
  const { key, digest } = generateApiKey();
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      projectStream(projectId),
      project,
      { type: 'RotateApiKey', apiKey: digest },
      eventMetadata(actor, origin),
    );
    return { apiKey: key, apiKeyPrefix: digest.prefix, position: outcome.position! };
  });
}
