import { z } from 'zod';
import { ApplicationError } from '../../../application/errors.ts';
import { login } from '../../../application/identity/login.ts';
import { recordLockOut, recordSignIn } from '../../../application/identity/signIns.ts';
import { normalizeEmail } from '../../../domain/email.ts';
import { signInKey } from '../../auth/storeRateLimiter.ts';
import { problem } from '../problem.ts';
import { type HttpRoutes, originOf, PUBLIC, problems } from '../routeKit.ts';
import type { IdentityRouteDeps } from './identityDeps.ts';
import { EmailSchema, GivenPasswordSchema, TokenSchema, toUserJson, UserSchema } from './identitySchemas.ts';

export function authRoutes(deps: IdentityRouteDeps): HttpRoutes {
  return (app) => {
    app.get(
      '/auth/setup',
      {
        schema: {
          operationId: 'getSetupStatus',
          tags: ['auth'],
          summary:
            'Whether the first admin exists yet (public): the sign-in page then says how to create one',
          description:
            'Before anyone exists nobody can log in; the admin UI shows the `m3m new-admin` command instead of a dead end. Says nothing about any account.',
          security: PUBLIC,
          response: { 200: z.object({ adminExists: z.boolean() }) },
        },
      },
      async () => {
        const first = await deps.directory.list({ limit: 1 });
        return { adminExists: first.items.length > 0 };
      },
    );

    app.post(
      '/auth/login',
      {
        schema: {
          operationId: 'login',
          tags: ['auth'],
          summary: 'Log in with email and password; returns a bearer token',
          description:
            'Wrong credentials get 401 whether or not the email exists. After 5 failures for one email from one address within 15 minutes, attempts get 429 with Retry-After. A sign-in (`UserSignedIn`) and the start of a lock-out (`SignInLockedOut`) are recorded with the address, for the audit log.',
          security: PUBLIC,
          body: z.object({ email: EmailSchema, password: GivenPasswordSchema }).strict(),
          response: {
            200: TokenSchema.extend({ user: UserSchema }),
            ...problems(400, 401, 403, 429),
          },
        },
      },
      async (request) => {
        const key = signInKey(request.ip, request.body.email);
        const wait = await deps.loginLimiter.retryAfterSeconds(key);
        if (wait > 0) {
          throw problem('too_many_requests', 'Too many failed logins: wait before trying again.', {
            headers: { 'retry-after': String(wait) },
          });
        }
        try {
          const result = await login({ ...deps, hasher: deps.commands.hasher }, request.body);
          await deps.loginLimiter.recordSuccess(key);
          await recordSignIn(
            deps.commands.commands,
            {
              userId: result.user.id,
              email: result.user.email,
              address: request.ip,
            },
            originOf(request),
          );
          return {
            token: result.token,
            tokenType: 'Bearer' as const,
            expiresAt: result.expiresAt.toISOString(),
            user: toUserJson(result.user),
          };
        } catch (error) {
          if (error instanceof ApplicationError && error.code === 'invalid_credentials') {
            await deps.loginLimiter.recordFailure(key);
            const retryAfterSeconds = await deps.loginLimiter.retryAfterSeconds(key);
            // This failure starts a lock-out: the next attempts get 429. Recorded once, as a security event.
            if (retryAfterSeconds > 0) {
              const email = normalizeEmail(request.body.email);
              const user = await deps.directory.byEmail(email);
              await recordLockOut(
                deps.commands.commands,
                {
                  email,
                  userId: user?.id ?? null,
                  address: request.ip,
                  retryAfterSeconds,
                },
                originOf(request),
              );
            }
          }
          throw error;
        }
      },
    );
  };
}
