import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The data directory and the databases in it hold every tenant's data: only m3m's own user may read them, like
 * the key files. Modes apply when m3m creates them; an existing directory or file keeps the mode it was given.
 */

/** Creates `dir` (and missing parents) readable by the owner only. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Before SQLite opens `file`: creates it empty with mode 0600 (SQLite gives its -wal and -shm files the same). */
export function makePrivateDatabaseFile(file: string): void {
  makePrivateDir(dirname(file));
  closeSync(openSync(file, 'a', 0o600));
}
