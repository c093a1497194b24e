// `npm run size:web`: the gzip size of every chunk of the built admin UI, and of what the first page loads
// (the entry with its static imports, plus the sign-in or the home page, whichever is larger). Fails past
// the budget. Run after a build (`npm run build:web`); `npm test` runs both.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

export const BUDGET_BYTES = 250 * 1024;
const FIRST_PAGES = ['src/features/auth/sign-in-page.tsx', 'src/features/home/home-page.tsx'];

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}
type Manifest = Record<string, ManifestChunk>;

export interface SizeReport {
  chunks: { file: string; gzip: number }[];
  firstPage: { page: string; files: string[]; gzip: number }[];
  firstPageGzip: number;
}

export function measure(distDir: string): SizeReport {
  const manifest = JSON.parse(readFileSync(join(distDir, '.vite/manifest.json'), 'utf8')) as Manifest;
  const gzipOf = new Map<string, number>();
  const size = (file: string) => {
    let n = gzipOf.get(file);
    if (n === undefined) {
      n = gzipSync(readFileSync(join(distDir, file)), { level: 9 }).length;
      gzipOf.set(file, n);
    }
    return n;
  };
  // The JavaScript a chunk brings with it before it runs: itself and its static imports, transitively.
  const closure = (key: string, into = new Set<string>()) => {
    const chunk = manifest[key];
    if (!chunk || into.has(chunk.file)) return into;
    into.add(chunk.file);
    for (const dep of chunk.imports ?? []) closure(dep, into);
    return into;
  };
  const entryKey = Object.keys(manifest).find((k) => manifest[k]?.isEntry);
  if (!entryKey) throw new Error('no entry in the manifest: was the UI built?');
  const entry = closure(entryKey);
  const firstPage = FIRST_PAGES.map((page) => {
    if (!manifest[page]) throw new Error(`${page} is not a chunk of the build: update FIRST_PAGES`);
    const files = [...closure(page, new Set(entry))].filter((f) => f.endsWith('.js'));
    return { page, files, gzip: files.reduce((sum, f) => sum + size(f), 0) };
  });
  const chunks = Object.values(manifest)
    .map((c) => c.file)
    .filter((f, i, all) => f.endsWith('.js') && all.indexOf(f) === i)
    .map((file) => ({ file, gzip: size(file) }))
    .sort((a, b) => b.gzip - a.gzip);
  return { chunks, firstPage, firstPageGzip: Math.max(...firstPage.map((p) => p.gzip)) };
}

const kB = (n: number) => `${(n / 1024).toFixed(1)} kB`;

if (import.meta.main) {
  const dist = resolve(process.argv[2] ?? 'web/dist');
  const report = measure(dist);
  console.log('chunk (gzip)');
  for (const c of report.chunks) console.log(`  ${kB(c.gzip).padStart(9)}  ${c.file}`);
  for (const p of report.firstPage) {
    console.log(`first page via ${p.page}: ${kB(p.gzip)} in ${p.files.length} files`);
  }
  const verdict = report.firstPageGzip <= BUDGET_BYTES ? 'within' : 'OVER';
  console.log(`first page JavaScript: ${kB(report.firstPageGzip)} (budget ${kB(BUDGET_BYTES)}): ${verdict}`);
  if (report.firstPageGzip > BUDGET_BYTES) process.exit(1);
}
