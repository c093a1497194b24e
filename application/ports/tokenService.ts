export interface TokenClaims {
  userId: string;
  /** The user's session version when the token was issued; a password change or a block moves it on. */
  sessionVersion: number;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/** Bearer tokens for the API. */
export interface TokenService {
  issue(claims: TokenClaims): IssuedToken;
  /** The claims of a token this service issued and that has not expired; `null` for anything else. */
  verify(token: string): TokenClaims | null;
}
