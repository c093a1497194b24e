import { type CommandDeps, eventMetadata, type RequestOrigin, storedMetadata } from '../context.ts';

/**
 * Sign-ins are security events (issue 16): a successful sign-in and the start of a login lock-out (the limiter's
 * 429) are recorded with the client's address, so that "who signed in as root last week" has an answer in the
 * audit log. Failed attempts below the lock-out stay in the logs only: recording each would let anyone write to
 * the event log, which is forever, by typing wrong passwords. A lock-out is recorded once, when it starts, not
 * for every refused attempt during it.
 *
 * They are facts with no decision to take, so they are appended to a stream of their own per account (the
 * user's stream stays the user's aggregate), without a revision check.
 */

export const USER_SIGNED_IN = 'UserSignedIn';
export const SIGN_IN_LOCKED_OUT = 'SignInLockedOut';
export const SIGN_IN_EVENT_TYPES = [USER_SIGNED_IN, SIGN_IN_LOCKED_OUT] as const;

/** `sign-ins-<userId>`; lock-outs of an email nobody has go to `sign-ins-unknown`. */
export const signInStream = (userId: string | null) => `sign-ins-${userId ?? 'unknown'}`;

export async function recordSignIn(
  deps: CommandDeps,
  signIn: { userId: string; email: string; address: string },
  origin: RequestOrigin = { source: 'api' },
): Promise<number> {
  const metadata = storedMetadata(eventMetadata(null, origin), 1, deps.clock.now());
  const result = await deps.eventStore.append(
    signInStream(signIn.userId),
    [{ type: USER_SIGNED_IN, data: signIn, metadata: { ...metadata, actorId: signIn.userId } }],
    { expectedRevision: 'any' },
  );
  return result.position;
}

/** `userId`: the account the email belongs to, or null when none does. The actor is unknown: nobody signed in. */
export async function recordLockOut(
  deps: CommandDeps,
  lockOut: { email: string; userId: string | null; address: string; retryAfterSeconds: number },
  origin: RequestOrigin = { source: 'api' },
): Promise<number> {
  const metadata = storedMetadata(eventMetadata(null, origin), 1, deps.clock.now());
  const result = await deps.eventStore.append(
    signInStream(lockOut.userId),
    [{ type: SIGN_IN_LOCKED_OUT, data: lockOut, metadata }],
    { expectedRevision: 'any' },
  );
  return result.position;
}
