import { DomainError } from '../../domain/decider.ts';
import { ApplicationError, type ApplicationErrorKind } from '../errors.ts';
import { toApplicationError } from '../projects/errors.ts';

/** How the worker decider's refusals reach the caller: kind and the field at fault. */
const REFUSALS: Record<string, { kind: ApplicationErrorKind; field?: string }> = {
  invalid_triggers: { kind: 'invalid', field: 'triggers' },
  invalid_cron: { kind: 'invalid', field: 'triggers.cron' },
  invalid_limits: { kind: 'invalid', field: 'limits' },
  source_too_large: { kind: 'invalid', field: 'source' },
  worker_not_found: { kind: 'not_found' },
  version_not_found: { kind: 'not_found' },
  worker_exists: { kind: 'conflict' },
};

export function workerError(error: unknown): unknown {
  if (error instanceof DomainError) {
    const refusal = REFUSALS[error.code];
    if (refusal) return new ApplicationError(refusal.kind, error.code, error.message, refusal.field);
  }
  return toApplicationError(error);
}

export async function workerRefusals<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw workerError(error);
  }
}

export function validatingWorker<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw workerError(error);
  }
}
