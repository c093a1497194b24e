import { randomUUID } from 'node:crypto';
import { DomainError } from '../../domain/decider.ts';
import { type RootAssignmentCommand, rootAssignmentDecider } from '../../domain/rootAssignment.ts';
import {
  type AssignableRole,
  nameProblem,
  type UserCommand,
  type UserRole,
  userDecider,
} from '../../domain/user.ts';
import { handleClaimedAtomically, isRefusal } from '../commands/handleClaimed.ts';
import { handleCommand, type StreamCommand } from '../commands/handleCommand.ts';
import { loadAggregate } from '../commands/loadAggregate.ts';
import { type Caller, type CommandContext, eventMetadata } from '../context.ts';
import { refuse } from '../errors.ts';
import { abandonedRoot } from './abandonedClaims.ts';
import { ROOT_STREAM, userStream } from './streams.ts';
import {
  checkedEmail,
  emailClaim,
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
 * The root assignment to append with a registration: to `userId` when there is no root yet or the root
 * assigned was abandoned (a user who never came to be), else null.
 */
async function rootClaim(deps: IdentityDeps, userId: string): Promise<StreamCommand | null> {
  const { eventStore, schemas } = deps.commands;
  const { state } = await loadAggregate(eventStore, schemas, ROOT_STREAM, rootAssignmentDecider);
  const claim = (command: RootAssignmentCommand) => ({
    streamId: ROOT_STREAM,
    decider: rootAssignmentDecider,
    command,
  });
  if (state.rootUserId === null) return claim({ type: 'AssignRoot', userId });
  const abandonedBy = await abandonedRoot(deps.commands, ROOT_STREAM);
  return abandonedBy ? claim({ type: 'ReclaimRoot', userId, abandonedBy }) : null;
}

const ROOT_ATTEMPTS = 5;

/**
 * Registers a user. Where the event store appends to several streams atomically (SQLite, PostgreSQL), the
 * email's reservation, for `role: 'first-is-root'` the root assignment, and the user's first event are one
 * append: of two registrations racing for one address exactly one succeeds, and a refused or interrupted one
 * leaves nothing behind (ADR 25). Elsewhere: reserve the email (the uniqueness check), then try to become the
 * root, then write the user's first event; if anything after the reservation fails, the reservation is
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
  const register = (finalRole: UserRole): StreamCommand => ({
    streamId: userStream(userId),
    decider: userDecider,
    command: {
      type: 'RegisterUser',
      userId,
      email,
      name,
      passwordHash,
      role: finalRole,
      permissions: finalRole === 'user' ? user.permissions : [],
      projectIds: finalRole === 'user' ? user.projectIds : [],
    } satisfies UserCommand,
  });

  if (deps.commands.eventStore.appendAtomically) {
    for (let attempt = 1; ; attempt++) {
      const root = role === 'first-is-root' ? await rootClaim(deps, userId) : null;
      const finalRole: UserRole = root ? 'root' : role === 'first-is-root' ? 'admin' : role;
      const guarded = [...(root ? [root] : []), register(finalRole)];
      try {
        const results = await handleClaimedAtomically(
          deps.commands,
          emailClaim(deps, email, userId),
          guarded,
          context,
        );
        return { userId, email, role: finalRole, position: results.at(-1)!.position };
      } catch (error) {
        // Another registration became the root between the look and the append: look again.
        if (!(root && isRefusal(error, 'root_assigned') && attempt < ROOT_ATTEMPTS)) throw error;
      }
    }
  }

  await reserveEmail(deps, email, userId, context);
  try {
    let finalRole: UserRole = role === 'first-is-root' ? 'admin' : role;
    if (role === 'first-is-root' && (await claimRoot(deps, userId, context))) finalRole = 'root';
    const { streamId, command } = register(finalRole);
    const result = await handleCommand(deps.commands, streamId, userDecider, command as UserCommand, context);
    return { userId, email, role: finalRole, position: result.position };
  } catch (error) {
    await releaseEmail(deps, email, userId, context).catch(() => {});
    throw error;
  }
}
