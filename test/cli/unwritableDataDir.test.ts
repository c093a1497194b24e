import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../kit/cli.ts';
import { mountSmallDisk, type SmallDisk } from '../kit/smallDisk.ts';

// Issue 11, defect 13: a start on a read-only or unwritable data dir exited with only "unable to open database
// file". It must name the file and the cause.
describe('serve on a data directory it cannot write', () => {
  let disk: SmallDisk | undefined;
  afterEach(() => {
    disk?.unmount();
    disk = undefined;
  });

  it('a read-only empty data directory: names the file and says read-only', async () => {
    disk = mountSmallDisk(8);
    disk.readOnly(true);
    const run = await runCli(['serve'], { M3M_DATA_DIR: disk.dir, M3M_PORT: '0', M3M_LOG_LEVEL: 'silent' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${disk.dir}/events.sqlite`);
    expect(run.stderr).toMatch(/read-only file system/);
    expect(run.stderr).toContain('(storage_unavailable)');
  });

  it('a data directory that became read-only after m3m wrote to it: names the file and the cause', async () => {
    disk = mountSmallDisk(32);
    const first = await runCli(['new-admin', 'root@example.com', 'root-password-1'], {
      M3M_DATA_DIR: disk.dir,
      M3M_BCRYPT_ROUNDS: '4',
      M3M_LOG_LEVEL: 'silent',
    });
    expect(first.code).toBe(0);
    disk.readOnly(true);
    const run = await runCli(['serve'], { M3M_DATA_DIR: disk.dir, M3M_PORT: '0', M3M_LOG_LEVEL: 'silent' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${disk.dir}/events.sqlite`);
    expect(run.stderr).toMatch(/read-only file system/);
    expect(run.stderr).not.toMatch(/^\s*›?\s*Error: unable to open database file\s*$/m);
  });
});
