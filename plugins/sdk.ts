// The m3m plugin SDK: the one file a plugin imports from m3m (DESIGN.md §2). It has no imports of its own,
// so a plugin depends on nothing else of m3m and this file can be copied next to a plugin that lives
// outside the repository. See docs/guide/plugins.md and docs/adr/0009-triggers-and-plugins.md.
//
// A plugin is a folder with an `index.ts` (or `index.js`) whose default export is a definition:
//
//   import { definePlugin, stringArg } from '../sdk.ts';
//   export default definePlugin({
//     name: 'greeter',
//     module: { code: 'greeter', name: 'Greeter', description: 'Says hello.' },
//     functions: { 'greeter.hello': (args) => `hello ${stringArg(args, 0, 'name', { maxLength: 100 })}` },
//     dts: 'namespace greeter { function hello(name: string): Promise<string>; }',
//   });
//
// Every function becomes `m3m.<path>(...)` in the workers of the projects where the plugin's module is
// active (or on a trial that has not ended), and does not exist anywhere else.

/** Any value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Who is calling: a worker of a project, during one invocation. */
export interface PluginCallContext {
  projectId: string;
  workerId: string;
  invocationId: string;
}

/**
 * One function of the Runtime API. `args` are the worker's arguments, copied as JSON (so `undefined`
 * becomes `null` inside arrays, and functions, dates and class instances never arrive as such): check
 * them and throw an `Error` with a clear message on a bad one; the worker sees that error's name and
 * message (never its stack). The result must be JSON (or `undefined`); a promise is awaited.
 */
export type PluginFunction = (args: unknown[], context: PluginCallContext) => unknown;

/** The module the plugin belongs to, shown in the catalogue (`GET /api/v1/modules`). Never core. */
export interface PluginModule {
  /** Unique among all modules: 1–48 lowercase letters, digits, `_`, `-`, starting with a letter. */
  code: string;
  name: string;
  description: string;
}

/** Read-only settings handed to `setup`: the server's `M3M_*` environment variables (core secrets excluded). */
export interface PluginConfig {
  get(name: string): string | undefined;
}

/** Logging for `setup` and the functions, at the server's log level, tagged with the plugin's name. */
export interface PluginLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface PluginDefinition {
  /** Unique among plugins: 1–48 lowercase letters, digits, `_`, `-`, starting with a letter. */
  name: string;
  module: PluginModule;
  /**
   * By dotted path under `m3m`, e.g. `'crypto.sha256'` → `m3m.crypto.sha256(...)`. Every path must start
   * with the module's code (so plugins never collide with each other or with m3m's own API) and consist
   * of identifiers.
   */
  functions: Record<string, PluginFunction>;
  /**
   * Optional: TypeScript declarations of those functions for the editor, placed inside the project's
   * `declare namespace m3m { … }` while the module is active there. Declare a namespace named after the
   * module, returning promises (every host call is asynchronous in the worker):
   * `namespace crypto { function sha256(text: string): Promise<string>; }`. Without it each function is
   * declared untyped, `(...args: unknown[]) => Promise<unknown>`, so the editor still knows it exists.
   */
  dts?: string;
  /**
   * Called once at start-up, before any function is called. Throwing here marks the plugin as broken:
   * it is reported (`/health`, the log) and skipped, and m3m starts without it.
   */
  setup?(config: PluginConfig, logger: PluginLogger): void | Promise<void>;
  /** Called when the server stops (close connection pools and the like). */
  close?(): void | Promise<void>;
}

/** Returns the definition unchanged; it only gives a plugin's editor the types. */
export function definePlugin<const T extends PluginDefinition>(definition: T): T {
  return definition;
}

/** A bad argument from a worker: the worker sees a `TypeError` with this message. */
export class PluginArgumentError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'TypeError';
  }
}

/** `args[index]` as a string, or a `TypeError` naming the argument. */
export function stringArg(
  args: readonly unknown[],
  index: number,
  name: string,
  options: { maxLength?: number; allowEmpty?: boolean } = {},
): string {
  const value = args[index];
  if (typeof value !== 'string') {
    throw new PluginArgumentError(`${name} must be a string, got ${describe(value)}`);
  }
  if (!options.allowEmpty && value.length === 0) throw new PluginArgumentError(`${name} must not be empty`);
  if (options.maxLength !== undefined && value.length > options.maxLength) {
    throw new PluginArgumentError(`${name} must be at most ${options.maxLength} characters`);
  }
  return value;
}

/** `args[index]` as an integer within [min, max], or a `TypeError` naming the argument. */
export function integerArg(
  args: readonly unknown[],
  index: number,
  name: string,
  range: { min: number; max: number },
): number {
  const value = args[index];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    throw new PluginArgumentError(
      `${name} must be an integer from ${range.min} to ${range.max}, got ${describe(value)}`,
    );
  }
  return value;
}

/** `args[index]` as a plain object (not an array, not null), or a `TypeError` naming the argument. */
export function objectArg(args: readonly unknown[], index: number, name: string): Record<string, unknown> {
  const value = args[index];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PluginArgumentError(`${name} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Refuses more arguments than a function takes, so a typo does not pass silently. */
export function expectArgs(args: readonly unknown[], max: number, fn: string): void {
  if (args.length > max) {
    throw new PluginArgumentError(
      `${fn} takes at most ${max} argument${max === 1 ? '' : 's'}, got ${args.length}`,
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'undefined'
    ? 'nothing'
    : `a${typeof value === 'object' ? 'n' : ''} ${typeof value}`;
}
