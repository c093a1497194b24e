// Builds the admin UI (web/ → web/dist) with Vite. `--if-stale` (what `npm start` runs) builds only when
// web/dist is missing or older than its sources, and says so; the e2e tests use the same check.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const WEB_DIST = join(root, 'web/dist');
const SOURCES = [
  'web/src',
  'web/public',
  'web/build',
  'web/index.html',
  'web/vite.config.ts',
  'package-lock.json',
];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

export type WebBuildState = 'fresh' | 'missing' | 'stale';

export function webBuildState(dist = WEB_DIST): WebBuildState {
  const index = join(dist, 'index.html');
  if (!existsSync(index)) return 'missing';
  const built = statSync(index).mtimeMs;
  return SOURCES.some((s) => newestMtime(join(root, s)) > built) ? 'stale' : 'fresh';
}

/** Runs `vite build` in a child process (Vite's own output goes to the terminal); throws if it fails. */
export function buildWeb(outDir = WEB_DIST): void {
  const vite = join(root, 'node_modules/vite/bin/vite.js');
  const result = spawnSync(
    process.execPath,
    [vite, 'build', '--config', join(root, 'web/vite.config.ts'), '--outDir', outDir, '--logLevel', 'warn'],
    // A production build whatever called it (vitest sets NODE_ENV=test, which would ship React's development build).
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
  );
  if (result.status !== 0) throw new Error(`vite build failed (exit ${result.status ?? result.signal})`);
}

if (import.meta.main) {
  const ifStale = process.argv.includes('--if-stale');
  const state = webBuildState();
  if (ifStale && state === 'fresh') process.exit(0);
  const why = {
    missing: 'web/dist is missing',
    stale: 'web/src changed since the last build',
    fresh: 'asked to',
  }[state];
  console.error(`m3m: building the admin UI (${why})…`);
  const started = Date.now();
  try {
    buildWeb();
  } catch (error) {
    console.error(`m3m: ${(error as Error).message}`);
    process.exit(1);
  }
  console.error(`m3m: admin UI built into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
