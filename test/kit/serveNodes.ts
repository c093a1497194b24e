import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, TEST_JWT_SECRET } from './server.ts';

/**
 * Several `m3m serve` processes (nodes) on one store, each on its own loopback port: started, killed with
 * SIGKILL, stopped with SIGTERM, restarted. What they share is in `env` (the data dir, or the PostgreSQL URL).
 */

const CLI = join(import.meta.dirname, '../../cli/run.ts');

export interface ServeNode {
  name: string;
  base: string;
  process: ChildProcess;
  output(): string;
  exited(): string | null;
  request(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; apiKey?: string },
  ): Promise<Response>;
  /** This node's `/health` (its view of the cluster). */
  health(): Promise<HealthView>;
  kill(): Promise<void>;
  /**
   * SIGTERM, then SIGKILL after `graceMs` (default 5 s) if it has not ended: `m3m serve` does not always end
   * on SIGTERM yet (see the report of ADR 20), and these tests are about what survives a kill anyway.
   */
  stop(graceMs?: number): Promise<void>;
}

export interface HealthView {
  status: string;
  node: {
    bootId: string;
    leaseHeld: boolean;
    processes: { bootId: string; alive: boolean; self: boolean }[];
  };
  [k: string]: unknown;
}

export function nodeEnv(shared: Record<string, string>): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _ignored, ...inherited } = process.env;
  return {
    ...inherited,
    M3M_PORT: '0',
    M3M_LOG_LEVEL: 'info',
    M3M_BCRYPT_ROUNDS: '4',
    M3M_JWT_SECRET: TEST_JWT_SECRET,
    ...shared,
  };
}

/** Runs an `m3m` command to its end; rejects with its output when it fails. */
export function runM3m(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { env });
    let out = '';
    proc.stdout.on('data', (c) => {
      out += c;
    });
    proc.stderr.on('data', (c) => {
      out += c;
    });
    proc.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`m3m ${args[0]}: ${out}`))));
  });
}

export async function createRoot(env: NodeJS.ProcessEnv): Promise<void> {
  await runM3m(['new-admin', ROOT.email, ROOT.password], env);
}

export async function startNode(name: string, env: NodeJS.ProcessEnv): Promise<ServeNode> {
  const proc = spawn(process.execPath, [CLI, 'serve'], { env });
  let out = '';
  let ended: string | null = null;
  const exit = new Promise<void>((resolve) => {
    proc.on('exit', (code, signal) => {
      ended = signal ?? String(code);
      resolve();
    });
  });
  const base = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-400_000);
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1]!);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`node ${name} exited with ${code}: ${out}`)));
  });
  const request: ServeNode['request'] = (method, path, { token, body, apiKey } = {}) =>
    fetch(base + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(apiKey ? { 'x-api-key': apiKey } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    name,
    base,
    process: proc,
    output: () => out,
    exited: () => ended,
    request,
    async health() {
      return (await (await request('GET', '/health')).json()) as HealthView;
    },
    async kill() {
      if (ended === null) proc.kill('SIGKILL');
      await exit;
    },
    async stop(graceMs = 5000) {
      if (ended === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

export async function signIn(node: ServeNode): Promise<string> {
  const response = await node.request('POST', '/api/v1/auth/login', { body: ROOT });
  const json = (await response.json()) as { token: string };
  if (response.status !== 200) throw new Error(`login: ${response.status} ${JSON.stringify(json)}`);
  return json.token;
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
