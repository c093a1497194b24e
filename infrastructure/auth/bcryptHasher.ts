import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { PasswordHasher } from '../../application/ports/passwordHasher.ts';

/** bcryptjs (pure JavaScript, nothing to compile) with the configured cost. */
export function bcryptHasher(rounds: number): PasswordHasher {
  if (!Number.isInteger(rounds) || rounds < 4 || rounds > 31)
    throw new RangeError(`bcrypt rounds: ${rounds}`);
  // Same cost as real hashes, so comparing against it takes as long as comparing against a user's.
  let dummy: Promise<string> | null = null;
  const dummyHash = () => {
    dummy ??= bcrypt.hash(randomBytes(16).toString('base64url'), rounds);
    return dummy;
  };
  return {
    hash: (password) => bcrypt.hash(password, rounds),
    async verify(password, hash) {
      // bcrypt reads 72 bytes at most: a longer candidate could match a password it is not. None is ever stored.
      const usable = hash !== null && !bcrypt.truncates(password);
      const matches = await bcrypt.compare(password, usable ? hash : await dummyHash());
      return usable && matches;
    },
  };
}
