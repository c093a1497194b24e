import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../kit/server.ts';
import { REPO_ROOT } from '../kit/sources.ts';

/**
 * Issue 11, defect 10: the README's example once called a goal it never created (502). Every shell block of the
 * README and of docs/guide/*.md runs here, as written and in reading order, in one bash session against a real m3m
 * on a fresh data directory, the way a reader pasting them into one terminal would: `./bin/m3m` on that data
 * directory, `curl` on its port (`localhost:3000` in the docs), the variables (`$TOKEN`, `$PROJECT_ID`,
 * `$M3M_API_KEY`…) captured by the blocks themselves. A request that answers 4xx/5xx, a command that fails, or a
 * variable never set fails the test, naming the block. A block the test cannot run says so in the line before its
 * fence: `<!-- docs-test: skip, <why> -->`.
 */

interface Block {
  file: string;
  line: number;
  code: string;
  skip: string | null;
}

/** The guides that build on each other, in that order; the other guides follow alphabetically. */
const ORDER = [
  'users.md',
  'projects.md',
  'workers.md',
  'modules.md',
  'webhooks.md',
  'triggers.md',
  'audit.md',
];

async function docFiles(): Promise<string[]> {
  const guides = (await readdir(join(REPO_ROOT, 'docs/guide'))).filter((f) => f.endsWith('.md'));
  const rank = (f: string) => (ORDER.includes(f) ? ORDER.indexOf(f) : ORDER.length);
  guides.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return ['README.md', ...guides.map((f) => `docs/guide/${f}`)];
}

function shellBlocks(file: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i]!)) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const marker = /^<!--\s*docs-test:\s*skip,?\s*(.*?)\s*-->$/.exec(lines[start - 1] ?? '');
    blocks.push({ file, line: start + 1, code: body.join('\n'), skip: marker ? marker[1]! : null });
  }
  return blocks;
}

/** What every block runs after: stop at the first failure, curl failing on an HTTP error (with its body). */
const PREAMBLE = `set -euo pipefail
curl() {
  local follow=0 arg
  for arg in "$@"; do [ "$arg" = "-N" ] && follow=1; done
  if [ "$follow" = 1 ]; then
    # a live stream never ends by itself: follow it for a moment, as a reader would before Ctrl-C
    local code=0
    command curl --fail-with-body --max-time 2 "$@" || code=$?
    [ "$code" = 0 ] || [ "$code" = 28 ]
    return
  fi
  command curl --fail-with-body --show-error "$@"
}
`;

function runBash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd: REPO_ROOT, env });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

describe('the shell blocks of the README and the guides run as written', () => {
  let server: TestServer;
  let blocks: Block[];
  let port: number;

  beforeAll(async () => {
    server = await startTestServer();
    port = Number(new URL(server.base).port);
    blocks = [];
    for (const file of await docFiles()) {
      blocks.push(...shellBlocks(file, await readFile(join(REPO_ROOT, file), 'utf8')));
    }
  });
  afterAll(async () => {
    await server?.close();
    await rm(join(REPO_ROOT, 'audit.csv'), { force: true });
  });

  it('finds the walkthroughs, and every skipped block says why', () => {
    expect(blocks.filter((b) => b.skip === null).length).toBeGreaterThanOrEqual(7);
    for (const block of blocks) {
      if (block.skip !== null) expect(block.skip.length, `${block.file}:${block.line}`).toBeGreaterThan(5);
    }
  });

  it('every block runs in reading order against a real server, no request refused', async () => {
    const script =
      PREAMBLE +
      blocks
        .filter((b) => b.skip === null)
        .map(
          (b) =>
            `echo ${JSON.stringify(`>>> ${b.file}:${b.line}`)} >&2\n${b.code.replaceAll('localhost:3000', `localhost:${port}`)}\necho >&2`,
        )
        .join('\n');
    const { code, output } = await runBash(script, {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/tmp',
      M3M_DATA_DIR: server.dataDir,
      M3M_BCRYPT_ROUNDS: '4',
      M3M_LOG_LEVEL: 'warn',
    });
    // The block that failed is the last one announced.
    expect(code, output.slice(-4000)).toBe(0);
  }, 240_000);
});
