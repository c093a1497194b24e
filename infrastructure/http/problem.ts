import { ERRORS, type ErrorCode, type ErrorEntry, fieldPath } from '../../application/errorCatalogue.ts';
import { ApplicationError, asRefusal } from '../../application/errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/**
 * A problem's `type` is `/api/v1/problems/<code>`: relative to the server that answered, which serves the
 * catalogue entry there (`routes/problems.ts`).
 */
export const PROBLEM_TYPE_BASE = '/api/v1/problems/';

export interface FieldError {
  /** `<part>.<path>`, e.g. `body.email` or `querystring.limit`. */
  field: string;
  message: string;
  /** The catalogue code of the rule broken, when m3m has one (a schema's own checks have none). */
  code?: ErrorCode;
}

/** The RFC 9457 body, plus our `code` (stable, machine-readable) and the failing fields. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: ErrorCode;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export interface ProblemInit {
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

/**
 * A refusal on its way out as a problem response: status, title and type come from the error catalogue by
 * its code. Throw from anywhere behind the HTTP layer; the error handler writes it.
 */
export class ProblemError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, init: ProblemInit = {}) {
    const entry: ErrorEntry = ERRORS[code];
    super(init.detail ?? entry.title);
    this.name = 'ProblemError';
    this.code = code;
    // A refusal the catalogue says is never an HTTP answer reaching one anyway is m3m's own fault.
    this.status = entry.status ?? 500;
    this.type = PROBLEM_TYPE_BASE + code;
    this.title = entry.title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = {
      ...(this.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
      ...init.headers,
    };
  }

  toProblem(instance?: string): ProblemDetails {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...(instance === undefined ? {} : { instance }),
      code: this.code,
      ...(this.errors === undefined ? {} : { errors: this.errors }),
    };
  }
}

/** `throw problem('invalid_api_key', 'The API key is not valid.')` */
export const problem = (code: ErrorCode, detail?: string, init: Omit<ProblemInit, 'detail'> = {}) =>
  new ProblemError(code, { ...init, ...(detail === undefined ? {} : { detail }) });

/** Fields that fail the route's schema (or a rule m3m checks itself), as one `validation_failed` problem. */
export const validationFailed = (errors: FieldError[], detail = 'The request is invalid.') =>
  new ProblemError('validation_failed', { detail, errors });

/**
 * The problem for a refusal of the application or the domain (or a lost race), or `null` for any other
 * error. A refusal that names a field names it in `errors[]`; one the catalogue reports as a mistake in one
 * field is a `validation_failed` problem carrying its own code in `errors[].code`.
 */
export function problemFromRefusal(error: unknown): ProblemError | null {
  const refusal = asRefusal(error);
  if (!(refusal instanceof ApplicationError)) return null;
  const entry: ErrorEntry = ERRORS[refusal.code];
  const field = fieldPath(refusal.code, refusal.field);
  const errors = field === undefined ? undefined : [{ field, code: refusal.code, message: refusal.message }];
  if (entry.reportedAs === 'validation_failed') {
    return validationFailed(
      errors ?? [{ field: 'body', code: refusal.code, message: refusal.message }],
      refusal.message,
    );
  }
  const retryAfterMs = (refusal as { retryAfterMs?: unknown }).retryAfterMs;
  return new ProblemError(refusal.code, {
    detail: refusal.message,
    ...(errors ? { errors } : {}),
    // A refusal that says when to come back (a throttled or suspended worker): Retry-After in seconds.
    ...(typeof retryAfterMs === 'number'
      ? { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } }
      : {}),
  });
}
