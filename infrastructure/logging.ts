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

/**
 * JSON lines, or for a person at a terminal (`M3M_LOG_FORMAT=pretty`, or `auto` with standard output a TTY)
 * coloured readable lines through pino's pretty printer, in a worker thread so the server does not pay for it.
 * `destination` is for tests that need to read what was logged; production writes to stdout.
 */
export function createLogger(config: Pick<Config, 'log'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.log.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  const format = config.log.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!pretty) return pino(options);
  return pino(
    options,
    pino.transport({
      target: 'pino-pretty',
      options: {
        colorize: process.stdout.isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        singleLine: true,
      },
    }),
  );
}
