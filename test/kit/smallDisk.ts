import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  /** The mount point: an empty directory on a file system of its own. */
  dir: string;
  /** Writes a filler file until the file system is full. */
  fill(): void;
  /** Removes the filler: there is room again. */
  free(): void;
  /** Remounts read-only (or read-write again). */
  readOnly(on: boolean): void;
  unmount(): void;
}

/**
 * A real file system of `sizeMb` (tmpfs) for fault injection: a disk that fills up, a data directory that is
 * read-only. Needs the permission to mount, as CI has (it runs as root); fails with the reason otherwise.
 */
export function mountSmallDisk(sizeMb: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'm3m-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `cannot mount a small file system for the disk-full tests (they need root, as CI has): ${(error as Error).message}`,
    );
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd);
      }
      // The last partial pages too, so not even a small write fits.
      const fd2 = openSync(join(dir, 'filler-tail'), 'a');
      try {
        for (;;) writeSync(fd2, Buffer.alloc(512, 1));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd2);
      }
    },
    free() {
      rmSync(filler, { force: true });
      rmSync(join(dir, 'filler-tail'), { force: true });
    },
    readOnly(on) {
      execFileSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, dir], { stdio: 'pipe' });
    },
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
