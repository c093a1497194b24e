/**
 * Symmetric encryption of secrets (environment variables marked secret) with the installation's secrets key.
 * `context` is bound to the ciphertext (authenticated, not encrypted): a ciphertext decrypts only under the
 * context it was made for, so it cannot be copied to another project's or variable's slot.
 */
export interface SecretCipher {
  encrypt(plaintext: string, context: string): string;
  /** Throws when the ciphertext was tampered with, made with another key, or for another context. */
  decrypt(ciphertext: string, context: string): string;
}
