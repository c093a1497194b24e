import { project, projectStream } from '../../domain/project.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals, refuse } from '../errors.ts';
import type { ProjectDeps } from './deps.ts';
import { findManageableProject } from './queries.ts';

/** Whether a user id names an existing user; wired to the users read model. */
export type UserExists = (userId: string) => Promise<boolean>;

/** A user as a project's owner sees them in its member list: who, not what they may do elsewhere. */
export interface ProjectPerson {
  userId: string;
  name: string;
  email: string;
  avatarFile: string | null;
}

/** The users read model as the member routes need it, wired in `infrastructure/http/server.ts`. */
export interface PeopleLookup {
  byId(userId: string): Promise<ProjectPerson | null>;
  /** `email` as typed: the lookup normalises it the way accounts are stored. */
  byEmail(email: string): Promise<ProjectPerson | null>;
}

export interface ProjectMember {
  userId: string;
  role: 'owner' | 'member';
  /** Null once the account is gone (its id may linger in the project until the owner removes it). */
  person: ProjectPerson | null;
}

/**
 * The project's owner and members with their names, for those who manage it. The user directory is for user
 * managers only; an owner still needs to know who has access to their own project.
 */
export async function listMembers(
  deps: ProjectDeps & { people: PeopleLookup },
  actor: Actor,
  projectId: string,
): Promise<ProjectMember[]> {
  const doc = await findManageableProject(deps, actor, projectId);
  const entries: { userId: string; role: ProjectMember['role'] }[] = [
    ...(doc.ownerId ? [{ userId: doc.ownerId, role: 'owner' as const }] : []),
    ...doc.memberIds
      .filter((id) => id !== doc.ownerId)
      .map((userId) => ({ userId, role: 'member' as const })),
  ];
  return Promise.all(entries.map(async (e) => ({ ...e, person: await deps.people.byId(e.userId) })));
}

/**
 * The user an owner names by email when adding a member. Only managers of the project get here, and they learn
 * no more than the member list then shows them.
 */
export async function memberIdByEmail(
  deps: ProjectDeps & { people: PeopleLookup },
  actor: Actor,
  projectId: string,
  email: string,
): Promise<string> {
  await findManageableProject(deps, actor, projectId);
  const person = await deps.people.byEmail(email);
  if (!person) throw refuse('unknown_user', 'There is no user with this email.', 'email');
  return person.userId;
}

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
