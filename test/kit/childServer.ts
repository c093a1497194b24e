import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TEST_JWT_SECRET } from './server.ts';

/**
 * `m3m serve` as a child process, for tests about what can take the whole server down: the process is
 * started with the given Node flags (a small `--max-old-space-size`) and the test watches whether it lives.
 */

const CLI = join(import.meta.dirname, '../../cli/run.ts');

export interface ChildServer {
  base: string;
  process: ChildProcess;
  /** The server's output so far (stdout and stderr). */
  output(): string;
  /** Null while the process runs; its exit code or signal once it ended. */
  exited(): string | null;
  /** Signs in as the root admin created before the start. */
  login(): Promise<string>;
  request(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
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

export async function startChildServer(
  options: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<ChildServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'm3m-child-'));
  const { NODE_OPTIONS: _ignored, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    M3M_DATA_DIR: dataDir,
    M3M_PORT: '0',
    M3M_LOG_LEVEL: 'info',
    M3M_BCRYPT_ROUNDS: '4',
    M3M_JWT_SECRET: TEST_JWT_SECRET,
    ...options.env,
  };
  await runCli(['new-admin', ROOT.email, ROOT.password], env);
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, 'serve'], { env });
  let out = '';
  let ended: string | null = null;
  proc.on('exit', (code, signal) => {
    ended = signal ?? String(code);
  });
  const base = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-200_000);
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1]!);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
  const request: ChildServer['request'] = (method, path, { token, body } = {}) =>
    fetch(base + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    base,
    process: proc,
    output: () => out,
    exited: () => ended,
    async login() {
      const response = await request('POST', '/api/v1/auth/login', { body: ROOT });
      const json = (await response.json()) as { token: string };
      if (response.status !== 200) throw new Error(`login: ${response.status} ${JSON.stringify(json)}`);
      return json.token;
    },
    request,
    async close() {
      if (ended === null) {
        const gone = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGKILL');
        await gone;
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
