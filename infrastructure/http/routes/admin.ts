import { z } from 'zod';
import { resetPassword } from '../../../application/identity/resetPassword.ts';
import { BEARER_SECURITY, type HttpRoutes, problems } from '../routeKit.ts';
import type { IdentityRouteDeps } from './identityDeps.ts';
import { NewPasswordSchema, UserIdParams } from './identitySchemas.ts';

/** `/api/v1/admin/*`: global admins only, 403 for everyone else. */
export function adminRoutes(deps: IdentityRouteDeps): HttpRoutes {
  const { auth } = deps;
  return (app) => {
    app.addHook('onRequest', auth.authenticate);
    app.addHook('onRequest', auth.requireGlobalAdmin);

    app.post(
      '/admin/users/:id/password',
      {
        schema: {
          operationId: 'setUserPassword',
          tags: ['admin'],
          summary: 'Set a user’s password (the root’s only by the root); their tokens stop working',
          security: BEARER_SECURITY,
          params: UserIdParams,
          body: z.object({ password: NewPasswordSchema }).strict(),
          response: { 204: z.void().describe('Password set'), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const result = await resetPassword(
          deps.commands,
          auth.callerOf(request),
          request.params.id,
          request.body.password,
        );
        await deps.waitFor(result.position);
        return reply.code(204).send();
      },
    );
  };
}
