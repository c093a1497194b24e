import type { FastifyRequest } from 'fastify';
import type { Caller, UserActor } from '../../application/context.ts';
import { type AuthenticateDeps, authenticate } from '../../application/identity/authenticate.ts';
import { assertCanManageUsers, assertCanUseAdminRoutes } from '../../application/identity/authorization.ts';
import type { UserView } from '../../application/identity/userDirectory.ts';
import { problem } from './problem.ts';
import { originOf } from './routeKit.ts';

export interface HttpAuth {
  /** `onRequest` hook: 401 unless the request carries a valid bearer token of a current, unblocked user. */
  authenticate(request: FastifyRequest): Promise<void>;
  /** `onRequest` hooks to run after `authenticate`: 403 before the body is even read. */
  requireManageUsers(request: FastifyRequest): Promise<void>;
  requireGlobalAdmin(request: FastifyRequest): Promise<void>;
  /** The authenticated caller of a request that went through `authenticate`. */
  actorOf(request: FastifyRequest): UserActor;
  userOf(request: FastifyRequest): UserView;
  /** The caller as the application sees it: actor, source `api`, and a fresh correlation id. */
  callerOf(request: FastifyRequest): Caller;
}

const BEARER = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/i;

/** Request → Actor: the token is verified and its user loaded once per request; nothing is cached across requests. */
export function httpAuth(deps: AuthenticateDeps): HttpAuth {
  const authenticated = new WeakMap<FastifyRequest, { actor: UserActor; user: UserView }>();
  const actorOf = (request: FastifyRequest) => {
    const found = authenticated.get(request);
    // A route that reads the actor without the authenticate hook is a programming error: fail closed.
    if (!found) throw problem('unauthorized', 'Authentication is required.');
    return found.actor;
  };
  return {
    async authenticate(request) {
      const header = request.headers.authorization;
      if (!header)
        throw problem('unauthorized', 'This needs a bearer token: log in at POST /api/v1/auth/login.');
      const match = BEARER.exec(header);
      if (!match) throw problem('invalid_token', 'The Authorization header must be "Bearer <token>".');
      authenticated.set(request, await authenticate(deps, match[1]!));
    },
    async requireManageUsers(request) {
      assertCanManageUsers(actorOf(request));
    },
    async requireGlobalAdmin(request) {
      assertCanUseAdminRoutes(actorOf(request));
    },
    actorOf,
    userOf(request) {
      const found = authenticated.get(request);
      if (!found) throw problem('unauthorized', 'Authentication is required.');
      return found.user;
    },
    callerOf: (request) => ({ actor: actorOf(request), ...originOf(request) }),
  };
}
