import { DomainError } from '../../domain/decider.ts';
import { ConcurrencyError } from '../commands/handleCommand.ts';
import { ApplicationError, type ApplicationErrorKind } from '../errors.ts';

/** How the refusals of the project, goal and environment deciders reach the caller: kind and field. */
const REFUSALS: Record<string, { kind: ApplicationErrorKind; field?: string }> = {
  slug_taken: { kind: 'conflict', field: 'slug' },
  invalid_slug: { kind: 'invalid', field: 'slug' },
  invalid_name: { kind: 'invalid', field: 'name' },
  invalid_color: { kind: 'invalid', field: 'color' },
  invalid_description: { kind: 'invalid', field: 'description' },
  invalid_goal_type: { kind: 'invalid', field: 'type' },
  not_a_global_goal: { kind: 'invalid', field: 'allowedProjectIds' },
  invalid_increment: { kind: 'invalid', field: 'by' },
  invalid_env_name: { kind: 'invalid', field: 'name' },
  invalid_env_value: { kind: 'invalid', field: 'value' },
  confirmation_mismatch: { kind: 'invalid', field: 'confirm' },
  project_not_found: { kind: 'not_found' },
  goal_not_found: { kind: 'not_found' },
  member_not_found: { kind: 'not_found' },
  env_variable_not_found: { kind: 'not_found' },
  project_exists: { kind: 'conflict' },
  goal_exists: { kind: 'conflict' },
};

export function toApplicationError(error: unknown): unknown {
  if (error instanceof DomainError) {
    const refusal = REFUSALS[error.code];
    if (refusal) return new ApplicationError(refusal.kind, error.code, error.message, refusal.field);
  }
  if (error instanceof ConcurrencyError) {
    return new ApplicationError(
      'conflict',
      'concurrent_modification',
      'Too many concurrent changes to the same item; try again.',
    );
  }
  return error;
}

/** Runs `work`, turning domain refusals into application errors that name the field at fault. */
export async function refusalsAsErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toApplicationError(error);
  }
}

/** Same for synchronous validation. */
export function validating<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw toApplicationError(error);
  }
}
