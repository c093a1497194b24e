import { randomBytes } from 'node:crypto';
import type { SecretCipher } from '../ports/secretCipher.ts';

/**
 * Signing secrets: `whsec_` + base64 of 32 random bytes (the Standard Webhooks form; the specification asks for
 * 24–64). Only the ciphertext is ever stored, bound to its endpoint: it cannot be copied to another one.
 */
export const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

export function newSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

function secretContext(projectId: string, webhookId: string): string {
  return `m3m-webhook:${projectId}:${webhookId}`;
}

export function encryptSecret(cipher: SecretCipher, projectId: string, webhookId: string, secret: string) {
  return cipher.encrypt(secret, secretContext(projectId, webhookId));
}

export function decryptSecret(
  cipher: SecretCipher,
  projectId: string,
  webhookId: string,
  encrypted: string,
): string {
  return cipher.decrypt(encrypted, secretContext(projectId, webhookId));
}
