import { ApplicationError, type ApplicationErrorKind } from '../../application/errors.ts';
import { DomainError } from '../../domain/decider.ts';
import { ProblemError, unauthorized, validationFailed } from './problem.ts';

const STATUS: Record<ApplicationErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
};

/** A rule of the domain refused the command; most refusals are conflicts with the current state. */
const DOMAIN_STATUS: Record<string, number> = {
  user_not_found: 404,
  root_protected: 403,
  invalid_name: 400,
  invalid_project_id: 400,
};

/**
 * The problem response for a refusal from the application or the domain, or `null` for any other error.
 * An `invalid` refusal names its field as part of the body (`body.newPassword`), like a schema failure would.
 */
export function problemFromApplicationError(error: unknown): ProblemError | null {
  if (error instanceof ApplicationError) {
    if (error.kind === 'invalid') {
      return validationFailed(
        [{ field: `body.${error.field ?? 'request'}`, message: error.message }],
        error.message,
      );
    }
    if (error.kind === 'unauthenticated') return unauthorized(error.message, error.code);
    return new ProblemError({ status: STATUS[error.kind], code: error.code, detail: error.message });
  }
  if (error instanceof DomainError) {
    return new ProblemError({
      status: DOMAIN_STATUS[error.code] ?? 409,
      code: error.code,
      detail: error.message,
    });
  }
  return null;
}
