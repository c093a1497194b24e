/**
 * What the audit log shows of an event's data: everything but its secrets. Events never hold a secret in clear
 * (DESIGN §1), but they do hold what must not leave the server either: password and API-key hashes, the
 * ciphertext of secret variables, signing secrets. Each becomes `"[redacted]"`, wherever it sits in the data,
 * by the name of its field: a new event type with a field named so is redacted without anyone remembering to.
 */

export const REDACTED = '[redacted]';

/** Field names that hold a secret, a hash of one, or its ciphertext. */
const SECRET_FIELD = /(password|secret|token|encrypted|cipher|hash|signing|privatekey)/i;
/** Fields whose name matches but that hold nothing secret: the SHA-256 of a worker's (visible) source. */
const NOT_SECRET = new Set(['sourceHash', 'draftHash']);

export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name) && !NOT_SECRET.has(name);
}

/**
 * A copy of `value` with every secret field's value replaced. A boolean flag (`secret: true` on a variable)
 * says nothing secret and stays, as does a `null` (no secret set).
 */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    copy[key] = isSecretField(key) && field !== null && typeof field !== 'boolean' ? REDACTED : redact(field);
  }
  return copy;
}
