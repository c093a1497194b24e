import { DomainError } from './decider.ts';

/**
 * What one project may store, beside the installation's defaults (issue 12, item 5): `documents` and
 * `documentBytes` bound its workers' data (`m3m.models`), `logBytes` the log lines kept with its invocation
 * records. A project's own value (set by a global admin) replaces the default; `null` means "the default".
 */
export const QUOTA_NAMES = ['documents', 'documentBytes', 'logBytes'] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];
export type ProjectQuotas = Record<QuotaName, number | null>;

/** The largest value a quota may take (1 TB of bytes; more is "no quota" in practice). */
export const MAX_QUOTA = 1_000_000_000_000;

/** Each project's quotas unless it has its own: the installation's settings (`M3M_QUOTA_*`). */
export type QuotaDefaults = Record<QuotaName, number>;

/** 100 000 documents, 256 MiB of them, 64 MiB of log lines: far beyond a worker's needs, far below a full disk. */
export const DEFAULT_QUOTAS: QuotaDefaults = {
  documents: 100_000,
  documentBytes: 256 * 1024 * 1024,
  logBytes: 64 * 1024 * 1024,
};

export const NO_OVERRIDES: ProjectQuotas = { documents: null, documentBytes: null, logBytes: null };

/** Every quota a whole number from 0 to `MAX_QUOTA`, or `null`. */
export function validateQuotas(quotas: ProjectQuotas): void {
  for (const name of QUOTA_NAMES) {
    const value = quotas[name];
    if (value === null) continue;
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_QUOTA) {
      throw new DomainError(
        'invalid_quota',
        `The quota "${name}" is a whole number from 0 to ${MAX_QUOTA}, or null for the installation's default.`,
      );
    }
  }
}

/** The quotas in force: the project's own where it has one, the installation's elsewhere. */
export function effectiveQuotas(
  defaults: QuotaDefaults,
  own: Partial<ProjectQuotas> | undefined,
): QuotaDefaults {
  const out = { ...defaults };
  for (const name of QUOTA_NAMES) {
    const value = own?.[name];
    if (typeof value === 'number') out[name] = value;
  }
  return out;
}
