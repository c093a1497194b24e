/**
 * The port through which plugins add functions to the workers' Runtime API (DESIGN §5). The plugin loader
 * (infrastructure) implements it; the host API builder (`hostApi.ts`) asks it, per invocation, for the
 * extensions of the worker's project, and `runtime.d.ts` appends their `dts`.
 */

/** What a plugin function knows about the call besides its arguments. */
export interface ExtensionCallContext {
  projectId: string;
  workerId: string;
  invocationId: string;
}

/**
 * A plugin function: receives the guest's arguments (JSON-decoded copies) and returns a JSON-serialisable
 * value (or a promise of one). A thrown error reaches the guest as an exception with its name and message.
 */
export type ExtensionFunction = (args: unknown[], ctx: ExtensionCallContext) => unknown | Promise<unknown>;

export interface RuntimeExtension {
  /** The module (catalogue `code`) this extension belongs to. */
  moduleCode: string;
  /**
   * By dotted path under `m3m`, e.g. `'crypto.sha256'` becomes `m3m.crypto.sha256(...)`. A path may not
   * reuse a built-in namespace (`log`, `goals`, `env`, `models`, `events`, `http`): such functions are skipped.
   */
  functions: Record<string, ExtensionFunction>;
  /**
   * TypeScript declarations of these functions, appended inside `declare namespace m3m { … }`; empty when the
   * plugin has none (`runtime.d.ts` then declares its functions untyped).
   */
  dts: string;
}

export interface RuntimeExtensions {
  /** Only the extensions whose module is active in the project. */
  forProject(projectId: string): Promise<RuntimeExtension[]>;
}

/** No plugins: what composition uses until a plugin loader provides extensions. */
export const noRuntimeExtensions: RuntimeExtensions = {
  forProject: async () => [],
};
