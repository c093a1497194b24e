/** A field the API named in a problem+json answer: `body.email`, `querystring.cursor`… */
export interface FieldError {
  field: string;
  /** The API's own words (English, and specific: it names the value or the limit). */
  message: string;
  /** The catalogue code of the rule broken, when m3m has one (a schema's own checks have none). */
  code?: string;
}

/** Any failed API call, as the UI handles it: the problem+json answer, or what stood in for one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[];
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    status: number;
    code: string;
    title: string;
    detail?: string | undefined;
    errors?: FieldError[] | undefined;
    retryAfterSeconds?: number | undefined;
  }) {
    super(init.detail ?? init.title);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** A network failure (server down, connection reset) is status 0. */
export const NETWORK_ERROR = 'network_error';

function isFieldError(value: unknown): value is FieldError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as FieldError).field === 'string' &&
    typeof (value as FieldError).message === 'string'
  );
}

/**
 * The body of a failed response → ApiError. A body that is not problem+json (a proxy's HTML page, an empty
 * 502) still becomes an ApiError with a code from the status, so no page ever shows raw text or JSON.
 */
export function toApiError(status: number, body: unknown, headers?: Headers): ApiError {
  const retry = Number(headers?.get('retry-after'));
  const retryAfterSeconds = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  if (typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string') {
    const p = body as { code: string; title?: unknown; detail?: unknown; errors?: unknown };
    return new ApiError({
      status,
      code: p.code,
      title: typeof p.title === 'string' ? p.title : `HTTP ${status}`,
      detail: typeof p.detail === 'string' ? p.detail : undefined,
      errors: Array.isArray(p.errors)
        ? p.errors
            .filter(isFieldError)
            .map(({ field, message, code }) =>
              typeof code === 'string' ? { field, message, code } : { field, message },
            )
        : [],
      retryAfterSeconds,
    });
  }
  return new ApiError({ status, code: `http_${status}`, title: `HTTP ${status}`, retryAfterSeconds });
}

/**
 * The API names fields by where they were sent (`body.slug`, `body.permissions.0`); a form knows `slug`.
 * Returns the form field for an API field, or null when it is not one of the form's fields.
 */
export function formFieldOf(apiField: string, formFields: readonly string[]): string | null {
  const path = apiField.split('.');
  const [part, ...rest] = path;
  const candidates = part === 'body' || part === 'querystring' || part === 'params' ? rest : path;
  for (let n = candidates.length; n > 0; n--) {
    const name = candidates.slice(0, n).join('.');
    if (formFields.includes(name)) return name;
  }
  return null;
}
