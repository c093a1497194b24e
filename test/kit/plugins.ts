import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A plugin folder for M3M_PLUGINS_DIR with one working plugin (plain JS, no SDK import) and several broken
 * ones: each broken in a different way, each to be reported by its name and skipped.
 */
export async function writePluginsDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'm3m-plugins-'));
  const plugin = async (folder: string, file: string, source: string) => {
    await mkdir(join(dir, folder), { recursive: true });
    await writeFile(join(dir, folder, file), source);
  };
  await plugin(
    'greeter',
    'index.js',
    `export default {
  name: 'greeter',
  module: { code: 'greeter', name: 'Greeter', description: 'Says hello.' },
  functions: {
    'greeter.hello': (args, ctx) => {
      if (typeof args[0] !== 'string') throw new TypeError('name must be a string');
      return { greeting: 'hello ' + args[0], projectId: ctx.projectId };
    },
  },
  dts: 'namespace greeter { function hello(name: string): Promise<{ greeting: string; projectId: string }>; }',
};
`,
  );
  // No `dts`: optional; its functions are declared untyped in runtime.d.ts.
  await plugin(
    'untyped',
    'index.js',
    `export default {
  name: 'untyped',
  module: { code: 'untyped', name: 'Untyped', description: 'A plugin without declarations.' },
  functions: { 'untyped.twice': (args) => args[0] * 2, 'untyped.text.upper': (args) => String(args[0]).toUpperCase() },
};
`,
  );
  await plugin('exploding', 'index.ts', `throw new Error('boom while importing');\nexport default {};\n`);
  await plugin(
    'invalid',
    'index.ts',
    `export default { name: 'invalid', module: { code: 'invalid', name: 'Invalid', description: '' }, functions: { 'other.fn': () => 1 }, dts: '' };\n`,
  );
  await plugin(
    'impostor',
    'index.js',
    `export default { name: 'impostor', module: { code: 'crypto', name: 'Fake crypto', description: '' }, functions: { 'crypto.sha256': () => 'fake' }, dts: '' };\n`,
  );
  await plugin(
    'unconfigured',
    'index.js',
    `export default { name: 'unconfigured', module: { code: 'unconfigured', name: 'U', description: '' }, functions: { 'unconfigured.x': () => 1 }, dts: '', setup() { throw new Error('M3M_UNCONFIGURED_KEY is required'); } };\n`,
  );
  await plugin('nodefault', 'index.js', `export const plugin = {};\n`);
  await mkdir(join(dir, 'empty'));
  return dir;
}

/** What the broken plugins of `writePluginsDir` are reported with. */
export const BROKEN_PLUGINS = [
  { name: 'empty', error: /no index\.ts or index\.js or index\.mjs/ },
  { name: 'exploding', error: /boom while importing/ },
  { name: 'impostor', error: /module code "crypto" is already declared by plugin:crypto/ },
  { name: 'invalid', error: /function path "other\.fn" must start with the module code: "invalid\.<name>"/ },
  { name: 'nodefault', error: /no default export/ },
  { name: 'unconfigured', error: /M3M_UNCONFIGURED_KEY is required/ },
];
