import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { HostIdentity } from '../application/processLease.ts';

/**
 * This process as the process leases (`application/processLease.ts`) know it. PIDs of two processes are only
 * comparable on the same host, in the same boot and the same PID namespace (containers have their own): the
 * host key covers all three, so a PID check is never made across containers or machines that happen to share a
 * hostname. Where the kernel does not say (not Linux), the key is unique to this process, and other processes
 * judge it by its lease's expiry alone.
 */
export function hostIdentity(): HostIdentity {
  const read = (what: () => string): string | null => {
    try {
      return what().trim();
    } catch {
      return null;
    }
  };
  const boot = read(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
  const pidNamespace = read(() => readlinkSync('/proc/self/ns/pid'));
  const name = hostname();
  const hostKey =
    boot && pidNamespace
      ? createHash('sha256').update(`${name}\n${boot}\n${pidNamespace}`).digest('hex').slice(0, 32)
      : `unknown:${process.pid}:${Date.now()}:${Math.random()}`;
  return {
    hostKey,
    hostname: name,
    pid: process.pid,
    pidAlive(pid) {
      try {
        process.kill(pid, 0);
      } catch (err) {
        // EPERM: it runs, under another user.
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
      // A killed process its parent has not reaped yet (a zombie) still answers signal 0.
      const stat = read(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
      return !stat || !/\) Z /.test(stat);
    },
  };
}
