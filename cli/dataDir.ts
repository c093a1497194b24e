import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '@oclif/core';
import type { Config } from '../infrastructure/config.ts';
import { refuseCommand } from './refusal.ts';

/**
 * For commands that work on existing data (`replay`): a mistyped `M3M_DATA_DIR` must not open, and so create,
 * an empty store and report success on it. Refuses a missing data directory, and with the embedded event store a
 * data directory without its events.
 */
export function requireExistingData(command: Command, config: Pick<Config, 'dataDir' | 'eventStore'>): void {
  const { dataDir } = config;
  if (!existsSync(dataDir)) {
    refuseCommand(
      command,
      'data_dir_missing',
      `The data directory ${dataDir} does not exist: set M3M_DATA_DIR to the directory m3m serves from. Nothing was created.`,
    );
  }
  if (config.eventStore.kind === 'sqlite' && !existsSync(join(dataDir, 'events.sqlite'))) {
    refuseCommand(
      command,
      'data_dir_missing',
      `The data directory ${dataDir} holds no event store (events.sqlite): set M3M_DATA_DIR to the directory m3m serves from. Nothing was created.`,
    );
  }
}

/**
 * For `new-admin` on a data directory that is missing or empty: `undo()` removes what the command created there
 * (the directory itself when it did not exist), so a command that fails leaves no half-made data directory
 * behind. A directory that already held data is left alone: its files may be a running server's.
 */
export function freshDataDir(dataDir: string): { undo(): void } {
  const existed = existsSync(dataDir);
  const fresh = !existed || readdirSync(dataDir).length === 0;
  return {
    undo() {
      if (!fresh || !existsSync(dataDir)) return;
      if (!existed) rmSync(dataDir, { recursive: true, force: true });
      else
        for (const entry of readdirSync(dataDir))
          rmSync(join(dataDir, entry), { recursive: true, force: true });
    },
  };
}
