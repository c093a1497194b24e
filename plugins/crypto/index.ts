// The `crypto` plugin: hashing, HMAC, UUIDs and random bytes for workers, from Node's `node:crypto`.
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { definePlugin, expectArgs, integerArg, PluginArgumentError, stringArg } from '../sdk.ts';

const ENCODINGS = ['hex', 'base64'] as const;
type Encoding = (typeof ENCODINGS)[number];
export const MAX_RANDOM_BYTES = 1024;

function encodingArg(args: readonly unknown[], index: number): Encoding {
  const value = args[index];
  if (value === undefined || value === null) return 'hex';
  if (typeof value !== 'string' || !ENCODINGS.includes(value as Encoding)) {
    throw new PluginArgumentError(`encoding must be 'hex' or 'base64', got ${JSON.stringify(value)}`);
  }
  return value as Encoding;
}

export default definePlugin({
  name: 'crypto',
  module: {
    code: 'crypto',
    name: 'Crypto',
    description: 'Hashing (SHA-256), HMAC-SHA256, UUIDs and random bytes for workers.',
  },
  functions: {
    'crypto.sha256': (args) => {
      expectArgs(args, 2, 'm3m.crypto.sha256');
      const text = stringArg(args, 0, 'text', { allowEmpty: true });
      return createHash('sha256').update(text, 'utf8').digest(encodingArg(args, 1));
    },
    'crypto.hmacSha256': (args) => {
      expectArgs(args, 3, 'm3m.crypto.hmacSha256');
      const key = stringArg(args, 0, 'key');
      const text = stringArg(args, 1, 'text', { allowEmpty: true });
      return createHmac('sha256', key).update(text, 'utf8').digest(encodingArg(args, 2));
    },
    'crypto.uuid': (args) => {
      expectArgs(args, 0, 'm3m.crypto.uuid');
      return randomUUID();
    },
    'crypto.randomBytes': (args) => {
      expectArgs(args, 1, 'm3m.crypto.randomBytes');
      const size = integerArg(args, 0, 'size', { min: 1, max: MAX_RANDOM_BYTES });
      return randomBytes(size).toString('base64');
    },
  },
  dts: `/** Hashing, HMAC, UUIDs and random bytes (module \`crypto\`). */
namespace crypto {
  /** SHA-256 of the UTF-8 text, as lowercase hex (default) or base64. */
  function sha256(text: string, encoding?: 'hex' | 'base64'): Promise<string>;
  /** HMAC-SHA256 of the UTF-8 text with the UTF-8 key, as lowercase hex (default) or base64. */
  function hmacSha256(key: string, text: string, encoding?: 'hex' | 'base64'): Promise<string>;
  /** A random (version 4) UUID. */
  function uuid(): Promise<string>;
  /** \`size\` (1–${MAX_RANDOM_BYTES}) cryptographically random bytes, base64-encoded. */
  function randomBytes(size: number): Promise<string>;
}
`,
});
