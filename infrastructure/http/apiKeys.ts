import type { FastifyRequest } from 'fastify';
import type { ProjectDeps } from '../../application/projects/deps.ts';
import { projectForApiKey } from '../../application/projects/queries.ts';
import type { ProjectDoc } from '../../application/projects/readModel.ts';
import type { StoreRateLimiter } from '../auth/storeRateLimiter.ts';
import { problem } from './problem.ts';

/** The window in which a client address may send `M3M_API_KEY_MAX_FAILURES` wrong `X-Api-Key` values. */
export const API_KEY_WINDOW_MS = 10 * 60_000;

/**
 * The project of the `X-Api-Key` a request sends (the HTTP trigger, goal increments): 401 for a wrong key, and
 * after `M3M_API_KEY_MAX_FAILURES` (20) wrong keys from one address within the window, 429 with `Retry-After` for every
 * key from that address, right or wrong, until the window moves on — guessing keys costs time.
 */
export async function projectOfApiKey(
  deps: ProjectDeps,
  limiter: StoreRateLimiter,
  request: FastifyRequest,
  key: string | string[],
): Promise<ProjectDoc> {
  const wait = await limiter.retryAfterSeconds(request.ip);
  if (wait > 0) {
    throw problem(
      'too_many_requests',
      'Too many wrong API keys from this address: wait before trying again.',
      {
        headers: { 'retry-after': String(wait) },
      },
    );
  }
  const project = typeof key === 'string' ? await projectForApiKey(deps, key) : null;
  if (!project) {
    await limiter.recordFailure(request.ip);
    throw problem('invalid_api_key', 'The API key is not valid (it may have been rotated).');
  }
  return project;
}
