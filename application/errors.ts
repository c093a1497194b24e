/**
 * A request the application refuses, with what kind of refusal it is. The HTTP layer turns the kind into a
 * status; the CLI prints the message. Messages are meant for the caller and never contain a secret.
 */
export type ApplicationErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unsupported_media_type'
  | 'too_large';

export class ApplicationError extends Error {
  readonly kind: ApplicationErrorKind;
  /** Stable, machine-readable, snake_case. */
  readonly code: string;
  /** For `invalid`: the input field at fault (`email`, `newPassword`…). */
  readonly field: string | undefined;

  constructor(kind: ApplicationErrorKind, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApplicationError';
    this.kind = kind;
    this.code = code;
    this.field = field;
  }
}

export const invalidInput = (field: string, message: string, code = 'invalid_input') =>
  new ApplicationError('invalid', code, message, field);
export const accessDenied = (message: string, code = 'forbidden') =>
  new ApplicationError('forbidden', code, message);
export const notFound = (message: string, code = 'not_found') =>
  new ApplicationError('not_found', code, message);
export const unauthenticated = (message: string, code = 'unauthenticated') =>
  new ApplicationError('unauthenticated', code, message);
