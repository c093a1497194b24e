import type { Clock } from '../ports/clock.ts';

/**
 * One project's fair share of the runtime (issue 12, item 6), in one m3m process: at most
 * `maxConcurrent` of its invocations run at once (more wait their turn, other projects' do not), one invocation
 * emits at most `emitsPerInvocation` events, and the project at most `emitsPerMinute` (an `emit` past it waits
 * for room, within its invocation's wall time).
 */

export interface ShareSettings {
  /** Invocations of one project running at once. Default 8. */
  maxConcurrent: number;
  /** `m3m.events.emit` calls per invocation. Default 100. */
  emitsPerInvocation: number;
  /** Events one project's workers emit per minute. Default 1000. */
  emitsPerMinute: number;
}

export const DEFAULT_SHARE: ShareSettings = {
  maxConcurrent: 8,
  emitsPerInvocation: 100,
  emitsPerMinute: 1000,
};

const WINDOW_MS = 60_000;

export class ProjectShare {
  readonly settings: ShareSettings;
  readonly #clock: Clock;
  readonly #running = new Map<string, number>();
  readonly #waiting = new Map<string, (() => void)[]>();
  readonly #emits = new Map<string, number[]>();

  constructor(clock: Clock, settings: Partial<ShareSettings> = {}) {
    this.#clock = clock;
    this.settings = { ...DEFAULT_SHARE, ...settings };
  }

  /** Whether the project has a free slot now (the delivery queue picks another project's work otherwise). */
  hasRoom(projectId: string): boolean {
    return (this.#running.get(projectId) ?? 0) < this.settings.maxConcurrent;
  }

  /** Waits for one of the project's slots; call the returned function when the invocation ends. */
  async acquire(projectId: string): Promise<() => void> {
    while (!this.hasRoom(projectId)) {
      await new Promise<void>((resolve) => {
        const queue = this.#waiting.get(projectId) ?? [];
        queue.push(resolve);
        this.#waiting.set(projectId, queue);
      });
    }
    this.#running.set(projectId, (this.#running.get(projectId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#running.get(projectId) ?? 1) - 1;
      if (left === 0) this.#running.delete(projectId);
      else this.#running.set(projectId, left);
      const queue = this.#waiting.get(projectId);
      const next = queue?.shift();
      if (queue && queue.length === 0) this.#waiting.delete(projectId);
      next?.();
    };
  }

  /**
   * Takes one emit of the project's minute, waiting (polling every 50 ms) while the minute is full, but not past
   * `deadline` (epoch ms, the invocation's end): then it refuses, so no event is appended after its invocation.
   */
  async takeEmit(projectId: string, deadline: number): Promise<void> {
    for (;;) {
      const now = this.#clock.now().getTime();
      const recent = (this.#emits.get(projectId) ?? []).filter((at) => at > now - WINDOW_MS);
      this.#emits.set(projectId, recent);
      if (recent.length < this.settings.emitsPerMinute) {
        recent.push(now);
        return;
      }
      if (Date.now() + 50 >= deadline) {
        throw new RangeError(
          `m3m.events.emit: the project's workers emitted ${this.settings.emitsPerMinute} events in the last minute (M3M_PROJECT_EMITS_PER_MINUTE); this one waited until its invocation's time ran out`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
