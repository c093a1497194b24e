import { z } from 'zod';
import { ApplicationError } from '../../../application/errors.ts';
import { changeOwnPassword } from '../../../application/identity/changeOwnPassword.ts';
import {
  AVATAR_TYPES,
  clearAvatar,
  MAX_AVATAR_BYTES,
  setAvatar,
} from '../../../application/identity/setAvatar.ts';
import { updateProfile } from '../../../application/identity/updateProfile.ts';
import { signInKey } from '../../auth/storeRateLimiter.ts';
import { problem } from '../problem.ts';
import { BEARER_SECURITY, type HttpRoutes, problems } from '../routeKit.ts';
import type { IdentityRouteDeps } from './identityDeps.ts';
import {
  GivenPasswordSchema,
  NameSchema,
  NewPasswordSchema,
  TokenSchema,
  toUserJson,
  UserSchema,
} from './identitySchemas.ts';

/** Self-service for whoever is logged in: profile, password, avatar. */
export function meRoutes(deps: IdentityRouteDeps): HttpRoutes {
  const { auth } = deps;

  const currentUser = async (userId: string, position: number | null) => {
    await deps.waitFor(position);
    const user = await deps.directory.get(userId);
    if (!user) throw problem('user_not_found', 'There is no such user.');
    return toUserJson(user);
  };

  return (app) => {
    app.addHook('onRequest', auth.authenticate);

    app.get(
      '/me',
      {
        schema: {
          operationId: 'getMe',
          tags: ['me'],
          summary: 'The logged-in user',
          security: BEARER_SECURITY,
          response: { 200: UserSchema, ...problems(401) },
        },
      },
      async (request) => toUserJson(auth.userOf(request)),
    );

    app.patch(
      '/me',
      {
        schema: {
          operationId: 'updateMe',
          tags: ['me'],
          summary: 'Change your own name',
          security: BEARER_SECURITY,
          body: z.object({ name: NameSchema }).strict(),
          response: { 200: UserSchema, ...problems(400, 401) },
        },
      },
      async (request) => {
        const result = await updateProfile(deps.commands, auth.callerOf(request), request.body);
        return currentUser(result.userId, result.position);
      },
    );

    app.post(
      '/me/password',
      {
        schema: {
          operationId: 'changeMyPassword',
          tags: ['me'],
          summary: 'Change your own password; every older token stops working',
          description:
            'Returns a fresh token for this session. A wrong current password is a 400 naming currentPassword.',
          security: BEARER_SECURITY,
          body: z.object({ currentPassword: GivenPasswordSchema, newPassword: NewPasswordSchema }).strict(),
          response: { 200: TokenSchema, ...problems(400, 401, 429) },
        },
      },
      async (request) => {
        const caller = auth.callerOf(request);
        // A stolen token must not become a way to guess the current password.
        const key = signInKey(request.ip, `password-change:${auth.actorOf(request).userId}`);
        const wait = await deps.loginLimiter.retryAfterSeconds(key);
        if (wait > 0) {
          throw problem('too_many_requests', 'Too many wrong passwords: wait before trying again.', {
            headers: { 'retry-after': String(wait) },
          });
        }
        let result: Awaited<ReturnType<typeof changeOwnPassword>>;
        try {
          result = await changeOwnPassword(deps.commands, caller, request.body);
        } catch (error) {
          if (error instanceof ApplicationError && error.code === 'wrong_password') {
            await deps.loginLimiter.recordFailure(key);
          }
          throw error;
        }
        await deps.loginLimiter.recordSuccess(key);
        await deps.waitFor(result.position);
        const user = await deps.directory.get(result.userId);
        if (!user) throw problem('user_not_found', 'There is no such user.');
        const issued = deps.tokens.issue({ userId: user.id, sessionVersion: user.sessionVersion });
        return {
          token: issued.token,
          tokenType: 'Bearer' as const,
          expiresAt: issued.expiresAt.toISOString(),
        };
      },
    );

    // Avatars arrive as the raw picture, whatever type is declared: the use case names the accepted ones
    // (415 unsupported_avatar_type) and checks the bytes; 413 beyond the limit.
    app.register(async (avatars) => {
      avatars.removeAllContentTypeParsers();
      avatars.addContentTypeParser(
        '*',
        { parseAs: 'buffer', bodyLimit: MAX_AVATAR_BYTES },
        (_request, body, done) => done(null, body),
      );
      avatars.put(
        '/me/avatar',
        {
          schema: {
            operationId: 'uploadMyAvatar',
            tags: ['me'],
            summary: 'Upload your avatar: the raw picture as the body',
            description: `Content-Type ${Object.keys(AVATAR_TYPES).join(', ')}; at most 1 MiB (413 beyond); any other type or content that is not such a picture: 415.`,
            security: BEARER_SECURITY,
            response: { 200: UserSchema, ...problems(401, 413, 415) },
          },
        },
        async (request) => {
          const bytes = request.body;
          if (!Buffer.isBuffer(bytes)) {
            throw problem(
              'unsupported_avatar_type',
              `An avatar must be sent as ${Object.keys(AVATAR_TYPES).join(', ')}.`,
            );
          }
          const result = await setAvatar(deps.commands, auth.callerOf(request), {
            contentType: request.headers['content-type'] ?? '',
            bytes,
          });
          return currentUser(result.userId, result.position);
        },
      );
    });

    app.delete(
      '/me/avatar',
      {
        schema: {
          operationId: 'deleteMyAvatar',
          tags: ['me'],
          summary: 'Remove your avatar',
          security: BEARER_SECURITY,
          response: { 200: UserSchema, ...problems(401) },
        },
      },
      async (request) => {
        const result = await clearAvatar(deps.commands, auth.callerOf(request));
        return currentUser(result.userId, result.position);
      },
    );
  };
}
