import { type DestinationStream, type Logger, pino } from 'pino';
import type { Config } from './config.ts';

// Secrets must never reach a log line, even when someone logs a whole request or command by mistake.
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'password',
  'passwordHash',
  'currentPassword',
  'newPassword',
  'token',
  'apiKey',
  'secret',
  '*.password',
  '*.passwordHash',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.apiKey',
  '*.secret',
];

/** `destination` is for tests that need to read what was logged; production writes to stdout. */
export function createLogger(config: Pick<Config, 'log'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.log.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
