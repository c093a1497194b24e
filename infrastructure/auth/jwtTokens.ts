import jwt from 'jsonwebtoken';
import type { Clock } from '../../application/ports/clock.ts';
import type { TokenClaims, TokenService } from '../../application/ports/tokenService.ts';

export const TOKEN_ISSUER = 'm3m';
export const TOKEN_AUDIENCE = 'm3m-api';
/** Named on both sides: the token's own header never chooses the algorithm (no `none`, no RS/HS confusion). */
export const TOKEN_ALGORITHM = 'HS256';

/**
 * HS256 JWTs: `sub` is the user id, `sv` the user's session version, `iss`/`aud` pin them to this API, and `exp`
 * is always set. Time comes from the injected clock on both sides.
 */
export function jwtTokens(options: { secret: string; ttlSeconds: number; clock: Clock }): TokenService {
  const { secret, ttlSeconds, clock } = options;
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  return {
    issue({ userId, sessionVersion }) {
      const iat = nowSeconds();
      const token = jwt.sign({ sv: sessionVersion, iat }, secret, {
        algorithm: TOKEN_ALGORITHM,
        expiresIn: ttlSeconds,
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        subject: userId,
      });
      return { token, expiresAt: new Date((iat + ttlSeconds) * 1000) };
    },
    verify(token) {
      let payload: string | jwt.JwtPayload;
      try {
        payload = jwt.verify(token, secret, {
          algorithms: [TOKEN_ALGORITHM],
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          clockTimestamp: nowSeconds(),
        });
      } catch {
        return null;
      }
      if (typeof payload === 'string') return null;
      const { sub, sv, exp } = payload;
      if (typeof sub !== 'string' || typeof exp !== 'number' || !Number.isSafeInteger(sv)) return null;
      return { userId: sub, sessionVersion: sv as number } satisfies TokenClaims;
    },
  };
}
