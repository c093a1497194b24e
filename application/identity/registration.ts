import { randomUUID } from 'node:crypto';
import { DomainError } from '../../domain/decider.ts';
import { type RootAssignmentCommand, rootAssignmentDecider } from '../../domain/rootAssignment.ts';
import { type AssignableRole, nameProblem, type UserRole, userDecider } from '../../domain/user.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Caller, type CommandContext, eventMetadata } from '../context.ts';
import { refuse } from '../errors.ts';
import { abandonedRoot } from './abandonedClaims.ts';
import { ROOT_STREAM, userStream } from './streams.ts';
import {
  checkedEmail,
  hashNewPassword,
  type IdentityDeps,
  releaseEmail,
  reserveEmail,
} from './userCommands.ts';

export interface NewUser {
  email: string;
  name: string;
  password: string;
  permissions: readonly string[];
  projectIds: readonly string[];
}

export interface Registered {
  userId: string;
  email: string;
  role: UserRole;
  position: number | null;
}

/** Checks what can be checked without writing anything; returns the normalized email and name. */
export function checkNewUser(user: Pick<NewUser, 'email' | 'name'>): { email: string; name: string } {
  const email = checkedEmail(user.email);
  const problem = nameProblem(user.name);
  if (problem) throw refuse('invalid_name', `The name ${problem}.`, 'name');
  return { email, name: user.name.trim() };
}

/** Whether `userId` became the root: the first claim wins, or the claim of a root that never registered. */
async function claimRoot(deps: IdentityDeps, userId: string, context: CommandContext): Promise<boolean> {
  const assign = (command: RootAssignmentCommand) =>
    handleCommand(deps.commands, ROOT_STREAM, rootAssignmentDecider, command, context);
  try {
    await assign({ type: 'AssignRoot', userId });
    return true;
  } catch (error) {
    if (!(error instanceof DomainError && error.code === 'root_assigned')) throw error;
  }
  const abandonedBy = await abandonedRoot(deps.commands, ROOT_STREAM);
  if (!abandonedBy) return false;
  try {
    await assign({ type: 'ReclaimRoot', userId, abandonedBy });
    return true;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'root_assigned') return false;
    throw error;
  }
}

/**
 * Registers a user: reserve the email (the uniqueness check), then, for `role: 'first-is-root'`, try to become
 * the root, then write the user's first event. If anything after the reservation fails, the reservation is
 * released again so the address stays usable.
 */
export async function registerUser(
  deps: IdentityDeps,
  caller: Caller,
  user: NewUser,
  role: AssignableRole | 'first-is-root',
): Promise<Registered> {
  const { email, name } = checkNewUser(user);
  const passwordHash = await hashNewPassword(deps.hasher, user.password, 'password');
  const context = eventMetadata(caller.actor, caller);
  const userId = randomUUID();

  await reserveEmail(deps, email, userId, context);
  try {
    let finalRole: UserRole = role === 'first-is-root' ? 'admin' : role;
    if (role === 'first-is-root' && (await claimRoot(deps, userId, context))) finalRole = 'root';
    const result = await handleCommand(
      deps.commands,
      userStream(userId),
      userDecider,
      {
        type: 'RegisterUser',
        userId,
        email,
        name,
        passwordHash,
        role: finalRole,
        permissions: finalRole === 'user' ? user.permissions : [],
        projectIds: finalRole === 'user' ? user.projectIds : [],
      },
      context,
    );
    return { userId, email, role: finalRole, position: result.position };
  } catch (error) {
    await releaseEmail(deps, email, userId, context).catch(() => {});
    throw error;
  }
}
