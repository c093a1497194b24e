import type { Command } from '@oclif/core';
import type { ErrorCode } from '../application/errorCatalogue.ts';
import { ApplicationError, asRefusal } from '../application/errors.ts';

/**
 * Ends a command with a refusal of the error catalogue: its message and its code on standard error, exit 1
 * (2 for a command called wrongly, like oclif's own usage errors).
 */
export function refuseCommand(command: Command, code: ErrorCode, message: string, exit = 1): never {
  return command.error(`${message} (${code})`, { exit });
}

/** Runs `work`; a refusal of the application or the domain ends the command with it, anything else is thrown. */
export async function withRefusals<T>(command: Command, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const refusal = asRefusal(error);
    if (refusal instanceof ApplicationError) refuseCommand(command, refusal.code, refusal.message);
    throw error;
  }
}
