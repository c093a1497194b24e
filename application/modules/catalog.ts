import {
  BUILT_IN_MODULES,
  type ModuleDefinition,
  validateModuleDefinition,
} from '../../domain/moduleCatalog.ts';

/** A catalogue entry and where it comes from: `built-in`, or `plugin:<name>`. */
export interface CatalogEntry extends ModuleDefinition {
  source: string;
}

/**
 * The modules this m3m knows: its built-in ones, then one per installed plugin that declares one. Filled once
 * at start-up by the composition root (built-ins) and the plugin loader (`registerModule`), read by everything
 * else. A code is unique: a second module with a taken code stops the start with a message naming both
 * sources, rather than letting one silently shadow the other.
 *
 * It lives in memory and is not event-sourced: it is what the installed code provides, not a decision anyone
 * records. Projections never consult it, so a replay does not depend on which plugins are installed.
 */
export class ModuleCatalog {
  readonly #entries = new Map<string, CatalogEntry>();

  registerModule(definition: ModuleDefinition, source = 'built-in'): CatalogEntry {
    const valid = validateModuleDefinition(definition);
    const taken = this.#entries.get(valid.code);
    if (taken) {
      throw new Error(
        `Module code "${valid.code}" is declared twice: by ${taken.source} and by ${source}. Module codes must be unique.`,
      );
    }
    const entry = { ...valid, source };
    this.#entries.set(entry.code, entry);
    return entry;
  }

  get(code: string): CatalogEntry | null {
    return this.#entries.get(code) ?? null;
  }

  /** Core modules first, then by code. */
  list(): CatalogEntry[] {
    return [...this.#entries.values()].sort(
      (a, b) => Number(b.isCore) - Number(a.isCore) || a.code.localeCompare(b.code),
    );
  }

  coreCodes(): string[] {
    return this.list()
      .filter((m) => m.isCore)
      .map((m) => m.code);
  }
}

/** A catalogue holding m3m's built-in modules; plugins add theirs with `registerModule`. */
export function builtInCatalog(): ModuleCatalog {
  const catalog = new ModuleCatalog();
  for (const definition of BUILT_IN_MODULES) catalog.registerModule(definition, 'built-in');
  return catalog;
}
