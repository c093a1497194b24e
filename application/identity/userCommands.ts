import { type Decider, DomainError } from '../../domain/decider.ts';
import { isValidEmail, normalizeEmail } from '../../domain/email.ts';
import { emailReservationDecider } from '../../domain/emailReservation.ts';
import { passwordProblem } from '../../domain/password.ts';
import { type UserCommand, type UserEvent, type UserState, userDecider } from '../../domain/user.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { loadAggregate } from '../commands/loadAggregate.ts';
import { type Caller, type CommandContext, type CommandDeps, eventMetadata } from '../context.ts';
import { refuse } from '../errors.ts';
import type { PasswordHasher } from '../ports/passwordHasher.ts';
import { abandonedEmailHolder } from './abandonedClaims.ts';
import { assertCanChangeUser, type UserChange } from './authorization.ts';
import { emailStream, userStream } from './streams.ts';

export interface IdentityDeps {
  commands: CommandDeps;
  hasher: PasswordHasher;
}

/** Granting users projects also checks that the projects exist (wired to the projects read model). */
export interface ProjectGrantDeps extends IdentityDeps {
  projectExists(projectId: string): Promise<boolean>;
}

/** Refuses, before anything is recorded, a project that does not exist (or was deleted), naming it. */
export async function assertProjectsExist(
  deps: ProjectGrantDeps,
  projectIds: readonly string[],
  field: (index: number) => string,
): Promise<void> {
  for (const [index, projectId] of projectIds.entries()) {
    if (!(await deps.projectExists(projectId))) {
      throw refuse('project_not_found', `There is no project ${projectId}.`, field(index));
    }
  }
}

/** What a use case changed: `position` is where a reader can wait for the read models (null: nothing written). */
export interface IdentityResult {
  userId: string;
  position: number | null;
}

export function laterPosition(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** Normalizes an email, or refuses it naming `field`. */
export function checkedEmail(email: string, field = 'email'): string {
  const normalized = normalizeEmail(email);
  if (!isValidEmail(normalized)) throw refuse('invalid_email', `"${field}" must be an email address.`, field);
  return normalized;
}

/** Checks the password rule, then hashes: a weak password is refused before anything is written. */
export async function hashNewPassword(
  hasher: PasswordHasher,
  password: string,
  field: string,
): Promise<string> {
  const problem = passwordProblem(password);
  if (problem) throw refuse('weak_password', `The password ${problem}.`, field);
  return hasher.hash(password);
}

/** The current state of an existing user, or a `not_found` refusal. */
export async function loadUser(deps: IdentityDeps, userId: string): Promise<UserState> {
  const { state } = await loadAggregate(
    deps.commands.eventStore,
    deps.commands.schemas,
    userStream(userId),
    userDecider,
  );
  if (state.status !== 'active') throw refuse('user_not_found', 'There is no such user.');
  return state;
}

/**
 * Runs a command on a user's stream. When `change` is given, the authorization rules are checked inside
 * `decide`, against the very state the events are appended to: a concurrent promotion or demotion of the target
 * makes the append conflict, and the retry checks the rules again.
 */
export async function changeUser(
  deps: IdentityDeps,
  caller: Caller,
  userId: string,
  command: UserCommand,
  change: UserChange | null,
  context: CommandContext = eventMetadata(caller.actor, caller),
) {
  let decidedOn: UserState = userDecider.initialState;
  const decider: Decider<UserCommand, UserState, UserEvent> = {
    ...userDecider,
    decide(cmd, state) {
      decidedOn = state;
      if (change && state.status === 'active') assertCanChangeUser(caller.actor, state, change);
      return userDecider.decide(cmd, state);
    },
  };
  const result = await handleCommand(deps.commands, userStream(userId), decider, command, context);
  /** `before`: the state the appended events were decided on (the last attempt's, after conflicts). */
  return { ...result, before: decidedOn };
}

/**
 * Reserves the address for `userId`, or fails with `email_taken`, unless the reservation found is abandoned
 * (see `abandonedClaims.ts`), in which case it is taken over with the expected revision, so that only one of
 * several writers racing for it wins.
 */
export async function reserveEmail(
  deps: IdentityDeps,
  email: string,
  userId: string,
  context: CommandContext,
) {
  const stream = emailStream(email);
  try {
    const result = await handleCommand(
      deps.commands,
      stream,
      emailReservationDecider,
      { type: 'ReserveEmail', userId },
      context,
    );
    return result.position;
  } catch (error) {
    if (!(error instanceof DomainError && error.code === 'email_taken')) throw error;
    const abandonedBy = await abandonedEmailHolder(deps.commands, stream, email);
    if (!abandonedBy) throw error;
    const result = await handleCommand(
      deps.commands,
      stream,
      emailReservationDecider,
      { type: 'ReclaimEmail', userId, abandonedBy },
      context,
    );
    return result.position;
  }
}

/** Frees an address held by `userId` (a no-op when someone else holds it). */
export async function releaseEmail(
  deps: IdentityDeps,
  email: string,
  userId: string,
  context: CommandContext,
) {
  const result = await handleCommand(
    deps.commands,
    emailStream(email),
    emailReservationDecider,
    { type: 'ReleaseEmail', userId },
    context,
  );
  return result.position;
}
