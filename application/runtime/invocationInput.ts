import { secretContext } from '../environment/setVariable.ts';
import { findAll } from '../ports/findAll.ts';
import type { EnvironmentDeps } from '../projects/deps.ts';
import { type EnvVariableDoc, PROJECT_ENV } from '../projects/readModel.ts';
import { readModelMemo } from '../readModelMemo.ts';

/** The stored input's size at most (UTF-8 bytes of its JSON); a longer one is cut and marked. */
export const INPUT_MAX_BYTES = 16 * 1024;
export const REDACTED = '[redacted]';

/** Headers that carry credentials whatever they are called in a given API. */
const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
]);
const SENSITIVE_NAME = /token|secret|key|signature|password/i;

/** A header or query parameter whose value the record keeps as `[redacted]` (docs/adr/0028). */
export function isSensitiveName(name: string): boolean {
  return CREDENTIAL_HEADERS.has(name.toLowerCase()) || SENSITIVE_NAME.test(name);
}

function redactByName(values: unknown): unknown {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return values;
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, isSensitiveName(name) ? REDACTED : value]),
  );
}

/** An HTTP trigger's request (`{ method, url, path, query, headers, body }`) with its credentials blanked. */
function redactHttpRequest(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const request = input as { url?: unknown; query?: unknown; headers?: unknown };
  return {
    ...request,
    ...(typeof request.url === 'string' ? { url: redactUrl(request.url) } : {}),
    query: redactByName(request.query),
    headers: redactByName(request.headers),
  };
}

function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return url;
  const params = new URLSearchParams(url.slice(queryAt + 1));
  const sensitive = [...new Set(params.keys())].filter(isSensitiveName);
  // Re-encoded only when something is blanked: otherwise the URL stays exactly as it was called.
  if (sensitive.length === 0) return url;
  for (const name of sensitive) params.set(name, REDACTED);
  return `${url.slice(0, queryAt)}?${params.toString()}`;
}

/** Every occurrence of a secret's value inside any string of `value` (keys included) replaced by the marker. */
function redactValues(value: unknown, secrets: string[]): unknown {
  if (typeof value === 'string') {
    let text = value;
    for (const secret of secrets) text = text.split(secret).join(REDACTED);
    return text;
  }
  if (Array.isArray(value)) return value.map((item) => redactValues(item, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [redactValues(k, secrets), redactValues(v, secrets)]),
    );
  }
  return value;
}

export interface StoredInput {
  /** The input as JSON, credentials and the project's secrets redacted; `null` without an input. */
  input: string | null;
  /** `true` when the JSON was longer than INPUT_MAX_BYTES and `input` holds its start and a marker. */
  inputTruncated: boolean;
}

/**
 * What an invocation record keeps of the run's input: the request of an HTTP trigger without its credential
 * headers and query parameters, every value of the project's secret variables replaced wherever it stands, as
 * JSON cut at INPUT_MAX_BYTES.
 */
export function storedInput(input: unknown, options: { http: boolean; secrets: string[] }): StoredInput {
  if (input === undefined) return { input: null, inputTruncated: false };
  const redacted = redactValues(options.http ? redactHttpRequest(input) : input, options.secrets);
  const json = JSON.stringify(redacted);
  if (json === undefined) return { input: null, inputTruncated: false };
  const bytes = Buffer.from(json, 'utf8');
  if (bytes.length <= INPUT_MAX_BYTES) return { input: json, inputTruncated: false };
  // Cut on a character boundary: a multi-byte character split in two would decode as U+FFFD.
  let end = INPUT_MAX_BYTES;
  while (end > 0 && (bytes[end] ?? 0) >> 6 === 0b10) end--;
  return {
    input: `${bytes.subarray(0, end).toString('utf8')}…[truncated: ${bytes.length} bytes in all]`,
    inputTruncated: true,
  };
}

/**
 * The project's secret values, longest first (a secret containing another is replaced whole). Remembered until
 * the environment projection moves, so a run pays no read unless a variable changed.
 */
export async function projectSecrets(deps: EnvironmentDeps, projectId: string): Promise<string[]> {
  const secrets = await readModelMemo<string[]>(deps.readStore, 'environment', 'secretValues').get(
    projectId,
    async () => {
      const docs = await findAll(
        deps.readStore.collection<EnvVariableDoc>(PROJECT_ENV),
        { projectId, secret: true },
        { name: 1 },
      );
      return docs
        .map((doc) => deps.cipher.decrypt(doc.encrypted ?? '', secretContext(projectId, doc.name)))
        .filter((value) => value.length > 0)
        .sort((a, b) => b.length - a.length);
    },
  );
  return secrets ?? [];
}

/** `storedInput` with the project's secrets; without them (a store or key fault) no input is kept rather than an unredacted one. */
export async function recordedInput(
  deps: EnvironmentDeps,
  projectId: string,
  input: unknown,
  http: boolean,
): Promise<StoredInput> {
  if (input === undefined) return { input: null, inputTruncated: false };
  try {
    return storedInput(input, { http, secrets: await projectSecrets(deps, projectId) });
  } catch {
    return { input: null, inputTruncated: false };
  }
}
