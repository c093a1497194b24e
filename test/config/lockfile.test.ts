import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * A fresh clone's first `npm start` or `npm test` runs `npm install` (scripts/node24.sh), which rewrites a
 * lockfile that is not complete: the platform packages of the linter and the bundler were once missing and got
 * added on every machine, leaving `git status` dirty. CI also checks the tree after a whole run (.ci/run).
 */
interface LockPackage {
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const root = join(import.meta.dirname, '../..');
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockPackage>;
};
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as LockPackage;

/** Where npm would find `name` from the package at `path`: its own node_modules, then each parent's. */
function resolves(path: string, name: string): boolean {
  for (let at = path; ; ) {
    if (lock.packages[`${at ? `${at}/` : ''}node_modules/${name}`]) return true;
    if (!at) return false;
    const parent = at.lastIndexOf('/node_modules/');
    at = parent < 0 ? '' : at.slice(0, parent);
  }
}

describe('package-lock.json', () => {
  it('pins what package.json asks for, as package.json asks for it', () => {
    const pinned = lock.packages[''];
    expect(pinned?.dependencies).toEqual(manifest.dependencies);
    expect(pinned?.devDependencies).toEqual(manifest.devDependencies);
  });

  it('holds every optional platform package of every package (all platforms, not only this one)', () => {
    const missing = Object.entries(lock.packages).flatMap(([path, pkg]) =>
      Object.keys(pkg.optionalDependencies ?? {})
        .filter((name) => !resolves(path, name))
        .map((name) => `${path || 'm3m'} → ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('holds every dependency of every package', () => {
    const missing = Object.entries(lock.packages).flatMap(([path, pkg]) =>
      Object.keys(pkg.dependencies ?? {})
        .filter((name) => !resolves(path, name))
        .map((name) => `${path || 'm3m'} → ${name}`),
    );
    expect(missing).toEqual([]);
  });
});
