import { type Decider, DomainError } from '../../domain/decider.ts';
import { isValidEmail, normalizeEmail } from '../../domain/email.ts';
import { emailReservationDecider } from '../../domain/emailReservation.ts';
import { passwordProblem } from '../../domain/password.ts';
import { type UserCommand, type UserEvent, type UserState, userDecider } from '../../domain/user.ts';
import { type Claim, handleClaimedAtomically } from '../commands/handleClaimed.ts';
import {
  ConcurrencyError,
  handleCommand,
  handleCommandsAtomically,
  type StreamCommand,
} from '../commands/handleCommand.ts';
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
 * The user decider with `change`'s authorization rules checked inside `decide`, against the very state the
 * events are appended to: a concurrent promotion or demotion of the target makes the append conflict, and the
 * retry checks the rules again. `decidedOn` hears each state decided on (the last one is the appended one's).
 */
function authorizedUserDecider(
  caller: Caller,
  change: UserChange | null,
  decidedOn: (state: UserState) => void,
): Decider<UserCommand, UserState, UserEvent> {
  return {
    ...userDecider,
    decide(cmd, state) {
      decidedOn(state);
      if (change && state.status === 'active') assertCanChangeUser(caller.actor, state, change);
      return userDecider.decide(cmd, state);
    },
  };
}

/** Runs a command on a user's stream, checking `change`'s authorization rules when given (see above). */
export async function changeUser(
  deps: IdentityDeps,
  caller: Caller,
  userId: string,
  command: UserCommand,
  change: UserChange | null,
  context: CommandContext = eventMetadata(caller.actor, caller),
) {
  let before: UserState = userDecider.initialState;
  const decider = authorizedUserDecider(caller, change, (state) => {
    before = state;
  });
  const result = await handleCommand(deps.commands, userStream(userId), decider, command, context);
  /** `before`: the state the appended events were decided on (the last attempt's, after conflicts). */
  return { ...result, before };
}

/** The user's address changed between loading the user and deciding: the reservations to write changed too. */
class AddressMoved extends Error {}

const ADDRESS_ATTEMPTS = 10;

/**
 * `changeUser` for a command that gives up the user's address (deleting the user) or swaps it for `take`, on an
 * event store that appends to several streams atomically: the user's events, the release of the address they
 * had and the reservation of `take` are one append, so at no moment do two users hold one address, and no
 * refusal or crash leaves a reservation behind.
 */
export async function changeUserAddress(
  deps: IdentityDeps,
  caller: Caller,
  userId: string,
  command: UserCommand,
  change: UserChange,
  context: CommandContext,
  take: string | null,
): Promise<{ position: number | null; before: UserState }> {
  for (let attempt = 1; ; attempt++) {
    const current = await loadUser(deps, userId);
    let before = current;
    const decider = authorizedUserDecider(caller, change, (state) => {
      before = state;
      if (state.status === 'active' && state.email !== current.email) throw new AddressMoved();
    });
    const user: StreamCommand = { streamId: userStream(userId), decider, command };
    const release = emailRelease(current.email, userId);
    try {
      const results = take
        ? await handleClaimedAtomically(
            deps.commands,
            emailClaim(deps, take, userId),
            [user, release],
            context,
          )
        : await handleCommandsAtomically(deps.commands, [user, release], context);
      const position = results.reduce<number | null>((p, r) => laterPosition(p, r.position), null);
      return { position, before };
    } catch (error) {
      if (!(error instanceof AddressMoved)) throw error;
      if (attempt >= ADDRESS_ATTEMPTS) throw new ConcurrencyError(userStream(userId), attempt);
    }
  }
}

/**
 * The address for `userId` as a claim for `handleClaimedAtomically`: reserved in one append with the user's
 * events, or taken over with them when the reservation found is abandoned (see `abandonedClaims.ts`).
 */
export function emailClaim(deps: IdentityDeps, email: string, userId: string): Claim {
  const streamId = emailStream(email);
  return {
    reserve: { streamId, decider: emailReservationDecider, command: { type: 'ReserveEmail', userId } },
    takenCode: 'email_taken',
    reclaim: async () => {
      const abandonedBy = await abandonedEmailHolder(deps.commands, streamId, email);
      if (!abandonedBy) return null;
      return {
        streamId,
        decider: emailReservationDecider,
        command: { type: 'ReclaimEmail', userId, abandonedBy },
      };
    },
  };
}

/** Frees the address `userId` holds, as a command to append with the user's own events. */
export function emailRelease(email: string, userId: string): StreamCommand {
  return {
    streamId: emailStream(email),
    decider: emailReservationDecider,
    command: { type: 'ReleaseEmail', userId },
  };
}

/**
 * Reserves the address for `userId` on its own, for event stores that cannot append it with the user's events,
 * or fails with `email_taken`, unless the reservation found is abandoned (see `abandonedClaims.ts`), in which
 * case it is taken over with the expected revision, so that only one of several writers racing for it wins.
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
