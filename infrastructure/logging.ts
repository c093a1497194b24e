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
  if (!pretty) return pino(options, linesPerTurn(pino.destination({ dest: 1, sync: true })));
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

/** What `linesPerTurn` holds, written at exit. */
const flushers = new Set<() => void>();

/**
 * The lines logged in one turn of the event loop, written to `out` together at its end: a write per line was a
 * system call per request (4 % of a goal increment's CPU under load). Nothing waits longer than the turn, and
 * what is held is written when the process exits; a SIGKILL loses at most the lines of the turn it cut.
 */
export function linesPerTurn(out: { write(text: string): unknown }) {
  let held: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (held.length === 0) return;
    const text = held.length === 1 ? held[0]! : held.join('');
    held = [];
    out.write(text);
  };
  if (flushers.size === 0)
    process.once('exit', () => {
      for (const held of flushers) held();
    });
  flushers.add(flush);
  return {
    write(line: string) {
      held.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
    flushSync: flush,
  };
}
