import { project, projectStream } from '../../domain/project.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals, refuse } from '../errors.ts';
import type { ProjectDeps } from './deps.ts';
import { findManageableProject } from './queries.ts';

/** Whether a user id names an existing user; wired to the users read model. */
export type UserExists = (userId: string) => Promise<boolean>;

/** Gives a user access to the project (read and increment). Granting the owner or a member again is a no-op. */
export async function grantMember(
  deps: ProjectDeps & { userExists?: UserExists },
  actor: Actor,
  projectId: string,
  userId: string,
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  await findManageableProject(deps, actor, projectId);
  if (deps.userExists && !(await deps.userExists(userId))) {
    throw refuse('unknown_user', 'There is no such user.', 'userId');
  }
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      projectStream(projectId),
      project,
      { type: 'GrantMember', userId },
      eventMetadata(actor, origin),
    );
    return { position: outcome.position };
  });
}

export async function revokeMember(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  userId: string,
  origin?: RequestOrigin,
): Promise<{ position: number }> {
  await findManageableProject(deps, actor, projectId);
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      projectStream(projectId),
      project,
      { type: 'RevokeMember', userId },
      eventMetadata(actor, origin),
    );
    return { position: outcome.position! };
  });
}
