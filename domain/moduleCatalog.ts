import { DomainError } from './decider.ts';

/**
 * A module is a feature a project can have on or off: m3m's own (`goals`, `webhooks`) or one a plugin brings.
 * It is known by its `code`, which the API, the events, the licences and the SPA's module config all use.
 * Core modules are always on in every project and need no licence.
 */
export interface ModuleDefinition {
  code: string;
  name: string;
  description: string;
  isCore: boolean;
}

/** Lowercase letters, digits, `_` and `-`, starting with a letter, 1–48 characters: safe in a URL path. */
export const MODULE_CODE_PATTERN = /^[a-z][a-z0-9_-]{0,47}$/;
export const MODULE_NAME_MAX = 100;
export const MODULE_DESCRIPTION_MAX = 1000;

/**
 * m3m's own modules. `goals` (counters and their statistics) is core. `webhooks` (Standard Webhooks deliveries
 * of a project's events) is the first optional one: its routes come with the webhooks issue and will sit
 * behind the module guard. Plugins add theirs to the catalogue at start-up.
 */
export const BUILT_IN_MODULES: readonly ModuleDefinition[] = [
  {
    code: 'goals',
    name: 'Goals',
    description: 'Counters and daily counters, incremented by users, workers and API keys, with statistics.',
    isCore: true,
  },
  {
    code: 'webhooks',
    name: 'Webhooks',
    description:
      "Deliveries of the project's events to external endpoints (Standard Webhooks), with retries.",
    isCore: false,
  },
];

/** Checks a definition (built-in or from a plugin) and returns a trimmed copy. */
export function validateModuleDefinition(definition: ModuleDefinition): ModuleDefinition {
  const { code, isCore } = definition;
  if (typeof code !== 'string' || !MODULE_CODE_PATTERN.test(code)) {
    throw new DomainError(
      'invalid_module_code',
      `Module code ${JSON.stringify(code)}: use 1–48 lowercase letters, digits, "_" or "-", starting with a letter.`,
    );
  }
  const name = typeof definition.name === 'string' ? definition.name.trim() : '';
  if (name.length === 0 || name.length > MODULE_NAME_MAX) {
    throw new DomainError(
      'invalid_module',
      `Module ${code}: the name must be 1–${MODULE_NAME_MAX} characters.`,
    );
  }
  const description = typeof definition.description === 'string' ? definition.description.trim() : '';
  if (description.length > MODULE_DESCRIPTION_MAX) {
    throw new DomainError(
      'invalid_module',
      `Module ${code}: the description must be at most ${MODULE_DESCRIPTION_MAX} characters.`,
    );
  }
  if (typeof isCore !== 'boolean')
    throw new DomainError('invalid_module', `Module ${code}: isCore must be a boolean.`);
  return { code, name, description, isCore };
}
