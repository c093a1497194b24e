export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * Whether `password` matches `hash`. With `hash` null (no such user) it spends the same time on a dummy hash
   * and answers false, so the response time does not tell whether an email is registered.
   */
  verify(password: string, hash: string | null): Promise<boolean>;
}
