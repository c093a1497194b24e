import type { RebuildProgress } from '../projections/projectionRunner.ts';

const WIDTH = 30;
const REDRAW_MS = 100;
const LOG_EVERY_MS = 2000;

/**
 * Draws `[#####.....] 42% 120000 events 85000 ev/s` on a terminal, redrawn in place; on a pipe or a CI log it
 * prints a plain line every two seconds instead of flooding it with carriage returns.
 */
export class ProgressBar {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  #startedAt = performance.now();
  #lastDraw = 0;
  #startPosition = 0;

  constructor(out: NodeJS.WriteStream = process.stderr) {
    this.#out = out;
    this.#tty = Boolean(out.isTTY);
  }

  start(): void {
    this.#startedAt = performance.now();
    this.#lastDraw = 0;
    this.#startPosition = 0;
  }

  update(progress: RebuildProgress, force = false): void {
    const now = performance.now();
    if (!force && now - this.#lastDraw < (this.#tty ? REDRAW_MS : LOG_EVERY_MS)) return;
    this.#lastDraw = now;
    const span = Math.max(1, progress.headPosition - this.#startPosition);
    const ratio = Math.min(1, (progress.position - this.#startPosition) / span);
    const filled = Math.round(ratio * WIDTH);
    const rate = progress.events / Math.max(0.001, (now - this.#startedAt) / 1000);
    const line =
      `${progress.projection} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${Math.floor(ratio * 100)}%` +
      ` ${progress.events} events ${Math.round(rate)} ev/s`;
    this.#out.write(this.#tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  /** Draws the final state and ends the line. */
  finish(progress: RebuildProgress): void {
    this.update(progress, true);
    if (this.#tty) this.#out.write('\n');
  }
}
