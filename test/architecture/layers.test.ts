import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type SourceFile, sourceFiles } from '../kit/sources.ts';

/**
 * The layer rules of docs/architecture.md, checked on every import (type-only ones too) of every file:
 * the domain imports nothing outside itself; the application never imports adapters, projections, the CLI or
 * the UI, nor the frameworks the adapters wrap; projections never import adapters; plugins import only the
 * SDK; the admin UI (`web/`) reaches the server over HTTP only, never by importing its code.
 */

interface Rule {
  /** Files under this folder… */
  layer: string;
  /** …may not import files under these folders… */
  forbiddenFolders: string[];
  /** …nor these packages (exact names, or a prefix ending in `/`). `'*'`: no package at all. */
  forbiddenPackages?: string[];
  /** Where relative imports may go at all (default: anywhere not forbidden). */
  onlyInside?: string[];
}

const SERVER = ['domain/', 'application/', 'projections/', 'infrastructure/', 'cli/', 'plugins/'];

const RULES: Rule[] = [
  { layer: 'domain/', forbiddenFolders: [], forbiddenPackages: ['*'], onlyInside: ['domain/'] },
  {
    layer: 'application/',
    forbiddenFolders: ['infrastructure/', 'projections/', 'cli/', 'plugins/', 'web/'],
    forbiddenPackages: [
      'fastify',
      '@fastify/',
      'fastify-type-provider-zod',
      'pino',
      'mongodb',
      '@kurrent/',
      'isolated-vm',
      'node:sqlite',
      'jsonwebtoken',
      'bcryptjs',
      'nodemailer',
      '@oclif/',
    ],
  },
  { layer: 'projections/', forbiddenFolders: ['infrastructure/', 'cli/', 'web/'] },
  { layer: 'plugins/', forbiddenFolders: [], onlyInside: ['plugins/'] },
  { layer: 'web/', forbiddenFolders: SERVER },
];

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm;

/** Comment lines (line comments, block and JSDoc comments) may show imports as examples: they are not imports. */
const COMMENT_LINE = /^\s*(\/\/|\/\*|\*).*$/gm;

function importsOf(text: string): string[] {
  return [...text.replace(COMMENT_LINE, '').matchAll(IMPORT)]
    .map((m) => m[1] ?? m[2] ?? m[3]!)
    .filter(Boolean);
}

/** The rule each import of `file` breaks, as `path -> import (why)`. */
function violations(file: SourceFile, rules: Rule[] = RULES): string[] {
  const rule = rules.find((r) => file.path.startsWith(r.layer));
  if (!rule) return [];
  const found: string[] = [];
  for (const specifier of importsOf(file.text)) {
    if (specifier.startsWith('.')) {
      const target = normalize(join(dirname(file.path), specifier))
        .split('\\')
        .join('/');
      const folder = rule.forbiddenFolders.find((f) => target.startsWith(f));
      if (folder) found.push(`${file.path} -> ${specifier} (${rule.layer} never imports ${folder})`);
      else if (rule.onlyInside && !rule.onlyInside.some((f) => target.startsWith(f))) {
        found.push(
          `${file.path} -> ${specifier} (${rule.layer} imports only inside ${rule.onlyInside.join(', ')})`,
        );
      }
    } else {
      const banned = rule.forbiddenPackages?.find(
        (p) => p === '*' || specifier === p || (p.endsWith('/') && specifier.startsWith(p)),
      );
      if (banned) found.push(`${file.path} -> ${specifier} (${rule.layer} never imports ${banned})`);
    }
  }
  return found;
}

describe('layer rules', () => {
  it('hold for every file of the repository', async () => {
    const files = await sourceFiles(['domain', 'application', 'projections', 'plugins', 'web']);
    expect(files.filter((f) => f.path.startsWith('application/')).length).toBeGreaterThan(50);
    expect(files.flatMap((f) => violations(f))).toEqual([]);
  });

  it('catch each kind of violation (so the check above can fail)', () => {
    const file = (path: string, text: string) => violations({ path, text });
    expect(file('domain/x.ts', "import { z } from 'zod';")).toHaveLength(1);
    expect(file('domain/x.ts', "import type { Actor } from '../application/context.ts';")).toHaveLength(1);
    expect(file('domain/x.ts', "import { user } from './user.ts';")).toEqual([]);
    expect(file('plugins/x.ts', "//   import { definePlugin } from '../sdk.ts';")).toEqual([]);
    expect(
      file('application/a/x.ts', "import type { M3m } from '../../infrastructure/composition.ts';"),
    ).toHaveLength(1);
    expect(
      file('application/a/x.ts', "const m = await import('../../infrastructure/config.ts');"),
    ).toHaveLength(1);
    expect(file('application/a/x.ts', "export { thing } from '../../projections/index.ts';")).toHaveLength(1);
    expect(file('application/a/x.ts', "import Fastify from 'fastify';")).toHaveLength(1);
    expect(
      file('application/a/x.ts', "import { z } from 'zod';\nimport { x } from '../../domain/x.ts';"),
    ).toEqual([]);
    expect(
      file('projections/x.ts', "import { a } from '../infrastructure/readStore/cursor.ts';"),
    ).toHaveLength(1);
    expect(
      file('plugins/mail/index.ts', "import { refuse } from '../../application/errors.ts';"),
    ).toHaveLength(1);
    expect(file('plugins/mail/index.ts', "import { definePlugin } from '../sdk.ts';")).toEqual([]);
    expect(
      file(
        'web/src/features/goals/queries.ts',
        "import type { GoalDoc } from '../../../../application/projects/readModel.ts';",
      ),
    ).toHaveLength(1);
    expect(
      file(
        'web/src/api/client.ts',
        "import createClient from 'openapi-fetch';\nimport type { paths } from './schema.d.ts';",
      ),
    ).toEqual([]);
  });
});
