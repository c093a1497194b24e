import { z } from 'zod';
import { AVATAR_FILE_PATTERN } from '../../files/avatarStore.ts';
import { problem } from '../problem.ts';
import { type HttpRoutes, PUBLIC, problems } from '../routeKit.ts';
import type { IdentityRouteDeps } from './identityDeps.ts';

/** Documented as binary; Fastify sends a Buffer as is, without running a serializer. */
const Picture = z.custom<Buffer>((v) => Buffer.isBuffer(v)).meta({ type: 'string', format: 'binary' });

/**
 * Avatars are public: an <img> cannot send a bearer token, and the name is the SHA-256 of the picture, so it
 * cannot be guessed. A name never changes content, hence the year-long immutable caching.
 */
export function avatarRoutes(deps: IdentityRouteDeps): HttpRoutes {
  return (app) => {
    app.get(
      '/avatars/:file',
      {
        schema: {
          operationId: 'getAvatar',
          tags: ['users'],
          summary: 'An avatar picture (public, immutable)',
          security: PUBLIC,
          params: z.object({ file: z.string().regex(AVATAR_FILE_PATTERN, 'must be an avatar file name') }),
          response: {
            200: {
              description: 'The picture',
              content: {
                'image/png': { schema: Picture },
                'image/jpeg': { schema: Picture },
                'image/webp': { schema: Picture },
              },
            },
            ...problems(400, 404),
          },
        },
      },
      async (request, reply) => {
        const { file } = request.params;
        // Files stay (old events name them), but a picture replaced or removed is no longer served.
        const avatar = (await deps.directory.avatarInUse(file)) ? await deps.avatarFiles.read(file) : null;
        if (!avatar) throw problem('not_found', 'There is no such avatar.');
        return reply
          .type(avatar.contentType)
          .header('cache-control', 'public, max-age=31536000, immutable')
          .header('x-content-type-options', 'nosniff')
          .send(avatar.bytes);
      },
    );
  };
}
