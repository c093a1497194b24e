import { DomainError, type DomainEvent } from '../../domain/decider.ts';
import type { CommandContext, CommandDeps } from '../context.ts';
import { type CommandResult, handleCommandsAtomically, type StreamCommand } from './handleCommand.ts';

/**
 * A claim on a unique name (a slug, an email address) through its reservation stream: how to take it while it
 * is free, and how to take over a reservation its holder abandoned.
 */
export interface Claim {
  /** Reserves the name for the new holder (a no-op when it holds it already). */
  reserve: StreamCommand;
  /** The refusal the reservation's decider throws while someone else holds the name. */
  takenCode: string;
  /**
   * Called once the name was found held: the command that takes the reservation over when it is abandoned
   * (its holder does not use the name), or null when it is not. The takeover names the holder it replaces, so
   * of several writers racing for it only one wins.
   */
  reclaim(): Promise<StreamCommand | null>;
}

export function isRefusal(error: unknown, code: string): boolean {
  return error instanceof DomainError && error.code === code;
}

/**
 * Takes `claim` and runs the commands it guards in one append (`EventStore.appendAtomically`): the reservation
 * and the events it guards are written together or not at all, so no crash or refusal leaves a reservation
 * without its holder, nor a holder without its reservation, and nothing has to be given back. Of writers racing
 * for one name in any number of processes exactly one gets it; the others fail with `takenCode`.
 * Returns the results of the claim and of each guarded command, in order.
 */
export async function handleClaimedAtomically(
  deps: CommandDeps,
  claim: Claim,
  guarded: readonly StreamCommand[],
  context: CommandContext,
): Promise<CommandResult<DomainEvent>[]> {
  try {
    return await handleCommandsAtomically(deps, [claim.reserve, ...guarded], context);
  } catch (error) {
    if (!isRefusal(error, claim.takenCode)) throw error;
    const reclaim = await claim.reclaim();
    if (!reclaim) throw error;
    return handleCommandsAtomically(deps, [reclaim, ...guarded], context);
  }
}
