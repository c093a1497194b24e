import type { LogLevel, LogLine } from './types.ts';

const LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);
const MAX_LINE_CHARS = 16 * 1024;

/** The log lines of one invocation, capped by count and bytes; what does not fit is counted, then reported once. */
export class LogCollector {
  readonly #maxLines: number;
  readonly #maxBytes: number;
  readonly #lines: LogLine[] = [];
  #bytes = 0;
  #dropped = 0;

  constructor(maxLines: number, maxBytes: number) {
    this.#maxLines = maxLines;
    this.#maxBytes = maxBytes;
  }

  /** Records a line; false once the log is full (this line and all later ones are dropped). */
  add(level: unknown, message: unknown): boolean {
    if (typeof level !== 'string' || !LEVELS.has(level) || typeof message !== 'string')
      return this.#dropped === 0;
    if (this.#dropped > 0 || this.#lines.length >= this.#maxLines) {
      this.#dropped++;
      return false;
    }
    const text = message.length > MAX_LINE_CHARS ? `${message.slice(0, MAX_LINE_CHARS)}…` : message;
    const bytes = Buffer.byteLength(text);
    if (this.#bytes + bytes > this.#maxBytes) {
      this.#dropped++;
      return false;
    }
    this.#bytes += bytes;
    this.#lines.push({ level: level as LogLevel, message: text, at: new Date().toISOString() });
    return true;
  }

  /** Lines the guest dropped on its own after being told the log was full. */
  addDropped(count: unknown): void {
    if (typeof count === 'number' && Number.isSafeInteger(count) && count > 0) this.#dropped += count;
  }

  /** Adds a line from the runtime itself (not counted against the caps). */
  note(level: LogLevel, message: string): void {
    this.#lines.push({ level, message, at: new Date().toISOString() });
  }

  finish(): LogLine[] {
    if (this.#dropped > 0) {
      this.note(
        'warn',
        `… ${this.#dropped} more log line${this.#dropped === 1 ? '' : 's'} dropped (limit ${this.#maxLines} lines / ${this.#maxBytes} bytes per invocation)`,
      );
      this.#dropped = 0;
    }
    return this.#lines;
  }
}
