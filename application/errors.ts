import { DomainError } from '../domain/decider.ts';
import { ConcurrencyError } from './commands/handleCommand.ts';
import { ERRORS, type ErrorCode, type ErrorEntry, isErrorCode } from './errorCatalogue.ts';
import { AppendTooLargeError, StreamDeletedError } from './ports/eventStore.ts';
import { InvalidCursorError } from './ports/readStore.ts';

/** What kind of refusal a code is, from its status: what a caller (the sandbox's guest errors) needs to know. */
export type ApplicationErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media_type'
  | 'unavailable';

const KINDS: Record<number, ApplicationErrorKind> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
};

/**
 * A request the application refuses, by its code in the error catalogue (`errorCatalogue.ts`), which gives its
 * status, title and documentation. Messages are meant for the caller and never contain a secret.
 */
export class ApplicationError extends Error {
  readonly code: ErrorCode;
  readonly kind: ApplicationErrorKind;
  /** The input field at fault as the use case names it (`email`, `newPassword`, `from`), if any. */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'ApplicationError';
    this.code = code;
    const entry: ErrorEntry = ERRORS[code];
    this.kind = (entry.status === null ? 'invalid' : KINDS[entry.status]) ?? 'unavailable';
    this.field = field ?? entry.field?.split('.').slice(1).join('.');
  }
}

/** `throw refuse('weak_password', 'The password is too short.', 'newPassword')` */
export const refuse = (code: ErrorCode, message: string, field?: string) =>
  new ApplicationError(code, message, field);

/** A domain rule's refusal (or a lost race) as an application refusal; any other error as it is. */
export function asRefusal(error: unknown): unknown {
  if (error instanceof DomainError && isErrorCode(error.code)) {
    return new ApplicationError(error.code, error.message, error.field);
  }
  if (error instanceof InvalidCursorError) return refuse('invalid_cursor', error.message);
  if (error instanceof ConcurrencyError) {
    return refuse('concurrent_modification', 'Too many concurrent changes to the same item; try again.');
  }
  // The event store adapters' own refusals (KurrentDB): a client's answer, not a 500.
  if (error instanceof StreamDeletedError) {
    return refuse(
      'stream_deleted',
      "This item's history was deleted in the event store: it can no longer be read or changed.",
    );
  }
  if (error instanceof AppendTooLargeError) {
    return refuse(
      'append_too_large',
      'The event store refused this change as too large: nothing was recorded.',
    );
  }
  return error;
}

/** Runs `work` (synchronous or not), turning what it throws into application refusals (`asRefusal`). */
export function refusals<T>(work: () => T): T {
  let result: T;
  try {
    result = work();
  } catch (error) {
    throw asRefusal(error);
  }
  if (result instanceof Promise) {
    return result.catch((error: unknown) => {
      throw asRefusal(error);
    }) as T;
  }
  return result;
}
