// Loads the plugins (DESIGN §5): `plugins/<name>/index.ts` shipped with m3m, then every `<name>/index.ts`
// (or `.js`, `.mjs`) in the folder named by M3M_PLUGINS_DIR. A plugin that cannot be imported, whose
// definition is invalid, whose `setup` throws, or whose name or module code is taken is reported (the log at
// error level, `/health` under `plugins.broken`) with its name and skipped: m3m starts without it.
// See docs/adr/0009-triggers-and-plugins.md.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ModuleCatalog } from '../../application/modules/catalog.ts';
import type {
  ExtensionFunction,
  RuntimeExtension,
  RuntimeExtensions,
} from '../../application/ports/runtimeExtensions.ts';
import { MODULE_CODE_PATTERN } from '../../domain/moduleCatalog.ts';
import type { PluginConfig, PluginDefinition, PluginLogger } from '../../plugins/sdk.ts';

/** The plugins shipped with m3m. */
export const BUILT_IN_PLUGINS_DIR = fileURLToPath(new URL('../../plugins', import.meta.url));

/** Namespaces of the built-in Runtime API (and the guest's own globals): no plugin may take them. */
export const RESERVED_NAMESPACES: ReadonlySet<string> = new Set([
  'log',
  'goals',
  'env',
  'models',
  'events',
  'http',
  'console',
  'm3m',
]);

const ENTRY_FILES = ['index.ts', 'index.js', 'index.mjs'];
const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,47}$/;
const SEGMENT = /^[A-Za-z_$][\w$]*$/;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);
const MAX_DTS_CHARS = 64 * 1024;
const DEFAULT_START_TIMEOUT_MS = 10_000;

/** pino-compatible subset. */
export interface LoaderLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  child(bindings: object): LoaderLogger;
}

export interface PluginFolder {
  path: string;
  /** `built-in` (shipped in `plugins/`) or `directory` (M3M_PLUGINS_DIR). */
  origin: 'built-in' | 'directory';
}

export interface LoadedPluginInfo {
  name: string;
  origin: PluginFolder['origin'];
  path: string;
  moduleCode: string;
  functions: string[];
}

export interface BrokenPluginInfo {
  /** The definition's name when it has a readable one, else the folder's name. */
  name: string;
  path: string;
  error: string;
}

export interface PluginsStatus {
  loaded: LoadedPluginInfo[];
  broken: BrokenPluginInfo[];
}

interface LoadedPlugin {
  info: LoadedPluginInfo;
  definition: PluginDefinition;
  extension: RuntimeExtension;
}

export interface LoadPluginsOptions {
  folders: readonly PluginFolder[];
  catalog: ModuleCatalog;
  /** What `setup` reads through `config.get`. */
  settings: Readonly<Record<string, string>>;
  logger: LoaderLogger;
  /** Import plus `setup` of one plugin; a plugin that takes longer is reported broken. Default 10 s. */
  startTimeoutMs?: number;
}

/** The plugin folders m3m loads: its own, then the configured one's. */
export function pluginFolders(extraDir: string | null, builtInDir = BUILT_IN_PLUGINS_DIR): PluginFolder[] {
  const folders: PluginFolder[] = [{ path: builtInDir, origin: 'built-in' }];
  if (extraDir) folders.push({ path: extraDir, origin: 'directory' });
  return folders;
}

let instanceCounter = 0;

/** What the loader found: the plugins that work, those that do not, and their Runtime API. */
export class LoadedPlugins {
  readonly #plugins: LoadedPlugin[];
  readonly #broken: BrokenPluginInfo[];
  readonly #logger: LoaderLogger;

  constructor(plugins: LoadedPlugin[], broken: BrokenPluginInfo[], logger: LoaderLogger) {
    this.#plugins = plugins;
    this.#broken = broken;
    this.#logger = logger;
  }

  status(): PluginsStatus {
    return {
      loaded: this.#plugins.map((p) => ({ ...p.info, functions: [...p.info.functions] })),
      broken: this.#broken.map((b) => ({ ...b })),
    };
  }

  /** Every loaded plugin's extension, whatever the project. */
  extensions(): RuntimeExtension[] {
    return this.#plugins.map((p) => p.extension);
  }

  /** Only the extensions whose module is on (active, or on a trial that has not ended) in each project. */
  runtimeExtensions(gate: {
    activeModules(projectId: string): Promise<readonly string[]>;
  }): RuntimeExtensions {
    return {
      forProject: async (projectId) => {
        if (this.#plugins.length === 0) return [];
        const active = new Set(await gate.activeModules(projectId));
        return this.#plugins.filter((p) => active.has(p.info.moduleCode)).map((p) => p.extension);
      },
    };
  }

  /** Lets every plugin release what it holds (connections, timers); a failing `close` is only logged. */
  async close(): Promise<void> {
    for (const plugin of this.#plugins) {
      try {
        await plugin.definition.close?.();
      } catch (err) {
        this.#logger.warn({ plugin: plugin.info.name, err }, 'plugin close failed');
      }
    }
  }
}

/** Loads every plugin of the folders, in folder order and by folder name within one. */
export async function loadPlugins(options: LoadPluginsOptions): Promise<LoadedPlugins> {
  const { catalog, logger } = options;
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const loaded: LoadedPlugin[] = [];
  const broken: BrokenPluginInfo[] = [];
  const report = (name: string, path: string, error: string) => {
    broken.push({ name, path, error });
    logger.error({ plugin: name, path, error }, `plugin ${name} is broken and was skipped: ${error}`);
  };

  for (const folder of options.folders) {
    let entries: string[];
    try {
      entries = readdirSync(folder.path).sort();
    } catch (err) {
      report(basename(folder.path), folder.path, `the plugin folder cannot be read: ${messageOf(err)}`);
      continue;
    }
    for (const entry of entries) {
      const dir = join(folder.path, entry);
      if (!isDirectory(dir) || entry.startsWith('.') || entry === 'node_modules') continue;
      const file = ENTRY_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
      if (!file) {
        if (folder.origin === 'directory') report(entry, dir, `no ${ENTRY_FILES.join(' or ')} in the folder`);
        continue;
      }
      let name = entry;
      try {
        const definition = await withTimeout(
          importDefinition(file),
          timeoutMs,
          `importing took longer than ${timeoutMs} ms`,
        );
        const named = (definition as { name?: unknown } | null)?.name;
        if (typeof named === 'string' && named !== '') name = named.slice(0, 48);
        const valid = checkDefinition(definition);
        const taken = loaded.find((p) => p.info.name === valid.name);
        if (taken) throw new Error(`the plugin name "${valid.name}" is already used by ${taken.info.path}`);
        const owner = catalog.get(valid.module.code);
        if (owner) {
          throw new Error(`module code "${valid.module.code}" is already declared by ${owner.source}`);
        }
        const pluginLogger = logger.child({ plugin: valid.name });
        if (valid.setup) {
          await withTimeout(
            Promise.resolve(valid.setup(configOf(options.settings), pluginLoggerOf(pluginLogger))),
            timeoutMs,
            `setup took longer than ${timeoutMs} ms`,
          );
        }
        try {
          catalog.registerModule({ ...valid.module, isCore: false }, `plugin:${valid.name}`);
        } catch (err) {
          await Promise.resolve(valid.close?.()).catch(() => {});
          throw err;
        }
        const functions = Object.keys(valid.functions).sort();
        loaded.push({
          info: {
            name: valid.name,
            origin: folder.origin,
            path: dir,
            moduleCode: valid.module.code,
            functions,
          },
          definition: valid,
          extension: {
            moduleCode: valid.module.code,
            functions: Object.fromEntries(
              functions.map((path) => [path, valid.functions[path] as ExtensionFunction]),
            ),
            dts: valid.dts ?? '',
          },
        });
        logger.info(
          { plugin: valid.name, module: valid.module.code, functions, path: dir },
          `plugin ${valid.name} loaded`,
        );
      } catch (err) {
        report(name, dir, messageOf(err));
      }
    }
  }
  return new LoadedPlugins(loaded, broken, logger);
}

async function importDefinition(file: string): Promise<unknown> {
  // A fresh module instance per load: plugins keep their settings in module state, and two m3m instances in
  // one process (tests) must not share it.
  const url = `${pathToFileURL(file).href}?m3m-instance=${++instanceCounter}`;
  const module = (await import(url)) as { default?: unknown };
  if (!('default' in module) || module.default === undefined) {
    throw new Error('the module has no default export (export default definePlugin({ … }))');
  }
  return module.default;
}

/** The definition, checked: a message naming the first problem otherwise. */
export function checkDefinition(value: unknown): PluginDefinition {
  if (!value || typeof value !== 'object')
    throw new Error('the default export is not a plugin definition object');
  const d = value as Partial<Record<keyof PluginDefinition, unknown>>;
  if (typeof d.name !== 'string' || !NAME_PATTERN.test(d.name)) {
    throw new Error(
      `name must be 1–48 lowercase letters, digits, "_" or "-", starting with a letter (got ${JSON.stringify(d.name)})`,
    );
  }
  const module = d.module as Partial<Record<'code' | 'name' | 'description', unknown>> | undefined;
  if (!module || typeof module !== 'object') throw new Error('module must be { code, name, description }');
  if (typeof module.code !== 'string' || !MODULE_CODE_PATTERN.test(module.code)) {
    throw new Error(
      `module.code must be 1–48 lowercase letters, digits, "_" or "-", starting with a letter (got ${JSON.stringify(module.code)})`,
    );
  }
  if (RESERVED_NAMESPACES.has(module.code)) {
    throw new Error(`module.code "${module.code}" is a built-in namespace of the Runtime API`);
  }
  if (typeof module.name !== 'string' || module.name.trim() === '')
    throw new Error('module.name must be a non-empty string');
  if (typeof module.description !== 'string') throw new Error('module.description must be a string');
  const functions = d.functions;
  if (!functions || typeof functions !== 'object' || Array.isArray(functions)) {
    throw new Error('functions must be an object of functions by dotted path');
  }
  const paths = Object.keys(functions);
  if (paths.length === 0) throw new Error('functions is empty: a plugin adds at least one function');
  for (const path of paths) {
    const segments = path.split('.');
    if (!segments.every((s) => SEGMENT.test(s) && !FORBIDDEN_SEGMENTS.has(s))) {
      throw new Error(
        `function path "${path}" must be dotted identifiers (no __proto__, prototype, constructor)`,
      );
    }
    if (segments[0] !== module.code || segments.length < 2) {
      throw new Error(`function path "${path}" must start with the module code: "${module.code}.<name>"`);
    }
    if (typeof (functions as Record<string, unknown>)[path] !== 'function') {
      throw new Error(`functions["${path}"] is not a function`);
    }
    for (let i = 2; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('.');
      if (Object.hasOwn(functions, prefix))
        throw new Error(`function paths "${prefix}" and "${path}" conflict`);
    }
  }
  if (d.dts !== undefined && typeof d.dts !== 'string') {
    throw new Error('dts, when given, must be a string of TypeScript declarations');
  }
  if (d.dts !== undefined && d.dts.length > MAX_DTS_CHARS)
    throw new Error(`dts is longer than ${MAX_DTS_CHARS} characters`);
  if (d.setup !== undefined && typeof d.setup !== 'function') throw new Error('setup must be a function');
  if (d.close !== undefined && typeof d.close !== 'function') throw new Error('close must be a function');
  return value as PluginDefinition;
}

function configOf(settings: Readonly<Record<string, string>>): PluginConfig {
  return { get: (name) => (Object.hasOwn(settings, name) ? settings[name] : undefined) };
}

function pluginLoggerOf(logger: LoaderLogger): PluginLogger {
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
