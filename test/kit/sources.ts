import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** The repository's root, for tests that read its own files (the catalogue, the layer rules, the README). */
export const REPO_ROOT = join(import.meta.dirname, '../..');

export interface SourceFile {
  /** From the repository root, with `/`. */
  path: string;
  text: string;
}

/** Every `.ts`/`.tsx` file under the given folders (relative to the root), `node_modules` and builds aside. */
export async function sourceFiles(folders: readonly string[]): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (/\.tsx?$/.test(entry.name)) {
        files.push({
          path: relative(REPO_ROOT, full).split('\\').join('/'),
          text: await readFile(full, 'utf8'),
        });
      }
    }
  };
  for (const folder of folders) await walk(join(REPO_ROOT, folder));
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
