import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { DOCS_PREFIX } from './app.ts';

/** Where a person opens m3m: a wildcard listening address is reached as localhost. */
export function publicBase(address: AddressInfo | string | null): string | null {
  if (!address || typeof address === 'string') return null;
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** The start-up lines a person looks for: where the admin UI and the API documentation are. */
export function logStartupUrls(logger: Logger, address: AddressInfo | string | null): void {
  const base = publicBase(address);
  if (!base) return;
  logger.info(`admin UI: ${base}/`);
  logger.info(`API docs: ${base}${DOCS_PREFIX}`);
}
