import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { format } from 'node:util';
import { run } from '@oclif/core';

const cliEntry = join(import.meta.dirname, '../../cli/run.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `m3m <args>` in this process, as `bin/m3m` would: the commands' output and refusals are captured, the
 * environment is `env` on top of this process's for the run. Much faster than a child process; use `spawnCli`
 * for what needs a process of its own (standard input, signals, a server that keeps running).
 */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  const out = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array) => {
      out[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return true;
    }) as typeof process.stdout.write;
  const consoles = { log: console.log, error: console.error };
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  // oclif's `this.log` and its help go through console.log (which the test runner takes over), not the stream.
  console.log = (...parts: unknown[]) => {
    out.stdout += `${format(...parts)}\n`;
  };
  console.error = (...parts: unknown[]) => {
    out.stderr += `${format(...parts)}\n`;
  };
  let code = 0;
  try {
    await run(args, cliEntry);
  } catch (error) {
    const failure = error as Error & { oclif?: { exit?: number } };
    code = failure.oclif?.exit ?? 1;
    // oclif prints a command's refusal as "Error: <message>" (or "›   Error: …" when wrapped).
    if (code !== 0) out.stderr += ` ›   Error: ${failure.message}\n`;
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    Object.assign(console, consoles);
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return { code, ...out };
}

/** Runs `node cli/run.ts <args>` as a child process, optionally piping `stdin`. */
export function spawnCli(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [cliEntry, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => {
      stdout += c;
    });
    proc.stderr.on('data', (c) => {
      stderr += c;
    });
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
    if (stdin !== undefined) proc.stdin.end(stdin);
    else proc.stdin.end();
  });
}
