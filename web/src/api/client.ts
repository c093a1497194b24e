import createClient, { type Middleware } from 'openapi-fetch';
import { session } from './auth.ts';
import { ApiError, NETWORK_ERROR, toApiError } from './problem.ts';
import type { paths } from './schema';

export type { paths } from './schema';

/** Called when the API answers 401 to a signed-in call: the app sends the user to sign-in and back. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void) {
  onUnauthorized = handler;
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = session.get()?.token;
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && request.headers.has('authorization')) {
      session.clear();
      onUnauthorized();
    }
    return response;
  },
};

/** The one way the UI talks to the server: typed by schema.d.ts, generated from the server's OpenAPI document. */
export const api = createClient<paths>({ baseUrl: '' });
api.use(auth);

type Result<D> = { data?: D; error?: unknown; response: Response };

/**
 * Awaits an `api.GET/POST…` call and returns its data, or throws an ApiError made from the problem+json
 * answer (or from the network failure). Query and mutation functions use this, so errors reach TanStack
 * Query as ApiErrors.
 */
export async function unwrap<D>(call: Promise<Result<D>>): Promise<D> {
  let result: Result<D>;
  try {
    result = await call;
  } catch (cause) {
    throw new ApiError({
      status: 0,
      code: NETWORK_ERROR,
      title: 'Network error',
      detail: cause instanceof Error ? cause.message : undefined,
    });
  }
  if (result.response.ok) return result.data as D;
  throw toApiError(result.response.status, result.error, result.response.headers);
}
