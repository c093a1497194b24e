import type { Command } from '@oclif/core';
import type { Logger } from 'pino';
import { type M3m, type OpenOptions, openM3m } from '../infrastructure/composition.ts';
import { type Config, ConfigError, loadConfig } from '../infrastructure/config.ts';
import { createLogger } from '../infrastructure/logging.ts';
import { StorageUnavailableError } from '../infrastructure/stores.ts';
import { refuseCommand } from './refusal.ts';

/** Configuration and logger for a CLI command; a bad variable ends the command with its message and exit 1. */
export function loadCommandConfig(command: Command, overrides: Partial<Pick<Config, 'log'>> = {}) {
  try {
    const config = { ...loadConfig(), ...overrides };
    return { config, logger: createLogger(config) };
  } catch (error) {
    if (error instanceof ConfigError) refuseCommand(command, 'invalid_configuration', error.message);
    throw error;
  }
}

/** Opens m3m for a command; a store it cannot open ends the command with the file and the cause, exit 1. */
export async function openForCommand(
  command: Command,
  config: Config,
  logger: Logger,
  options: OpenOptions = {},
): Promise<M3m> {
  try {
    return await openM3m(config, logger, options);
  } catch (error) {
    if (error instanceof StorageUnavailableError)
      refuseCommand(command, 'storage_unavailable', error.message);
    throw error;
  }
}
