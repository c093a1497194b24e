import type { Command } from '@oclif/core';
import { type Config, ConfigError, loadConfig } from '../infrastructure/config.ts';
import { createLogger } from '../infrastructure/logging.ts';
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
