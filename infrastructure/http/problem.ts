import { STATUS_CODES } from 'node:http';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://m3m.dev/problems/';

export interface FieldError {
  /** `<part>.<path>`, e.g. `body.email` or `querystring.limit`. */
  field: string;
  message: string;
}

/** The RFC 9457 body, plus our `code` (stable, machine-readable) and the failing fields. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export interface ProblemInit {
  status: number;
  /** snake_case, like every code m3m returns; becomes the type URI `https://m3m.dev/problems/<code>`. Omitted → `about:blank`. */
  code?: string;
  title?: string;
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

/** Throw from anywhere behind the HTTP layer; the error handler turns it into a problem response. */
export class ProblemError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly code: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(init: ProblemInit) {
    const title = init.title ?? STATUS_CODES[init.status] ?? 'Error';
    super(init.detail ?? title);
    this.name = 'ProblemError';
    this.status = init.status;
    this.type = init.code ? PROBLEM_TYPE_BASE + init.code : 'about:blank';
    this.code = init.code ?? statusCode(init.status);
    this.title = title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = init.headers ?? {};
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

/** `Not Found` → `not_found`: the code an `about:blank` problem gets. */
function statusCode(status: number): string {
  return (STATUS_CODES[status] ?? `http_${status}`).toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

export const badRequest = (detail: string, errors?: FieldError[], code = 'bad_request') =>
  new ProblemError({ status: 400, code, title: 'Bad Request', detail, ...(errors ? { errors } : {}) });

export const validationFailed = (errors: FieldError[], detail = 'The request is invalid.') =>
  new ProblemError({ status: 400, code: 'validation_failed', title: 'Validation failed', detail, errors });

export const unauthorized = (detail = 'Authentication is required.', code = 'unauthorized') =>
  new ProblemError({
    status: 401,
    code,
    title: 'Unauthorized',
    detail,
    headers: { 'www-authenticate': 'Bearer' },
  });

export const forbidden = (detail = 'You are not allowed to do this.', code = 'forbidden') =>
  new ProblemError({ status: 403, code, title: 'Forbidden', detail });

export const notFound = (detail = 'The resource does not exist.', code = 'not_found') =>
  new ProblemError({ status: 404, code, title: 'Not Found', detail });

export const conflict = (detail: string, code = 'conflict') =>
  new ProblemError({ status: 409, code, title: 'Conflict', detail });

export const tooManyRequests = (detail = 'Too many requests.', retryAfterSeconds?: number) =>
  new ProblemError({
    status: 429,
    code: 'too_many_requests',
    title: 'Too Many Requests',
    detail,
    ...(retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(retryAfterSeconds) } }),
  });

export const internalError = () =>
  new ProblemError({
    status: 500,
    code: 'internal_error',
    title: 'Internal Server Error',
    detail: 'An unexpected error occurred. It has been logged.',
  });
