import type { Clock } from '../../application/ports/clock.ts';

export interface RateLimiterOptions {
  clock: Clock;
  /** Failures allowed inside the window; the next attempt is refused. Default 5. */
  maxFailures?: number;
  /** Default 15 minutes. */
  windowMs?: number;
  /** Keys tracked at most; the stalest are dropped beyond it, so a flood cannot exhaust memory. Default 10 000. */
  maxKeys?: number;
}

/**
 * Counts failed logins per key (the client's IP and the email tried) over a sliding window, in memory. After
 * `maxFailures` failures the key is refused until the oldest of them leaves the window; a success clears it.
 * Per process: behind several m3m processes each one counts for itself.
 */
export class LoginRateLimiter {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  /** Failure times per key, oldest first. A Map iterates in insertion order: the first key is the stalest. */
  readonly #failures = new Map<string, number[]>();

  constructor(options: RateLimiterOptions) {
    this.#clock = options.clock;
    this.#max = options.maxFailures ?? 5;
    this.#windowMs = options.windowMs ?? 15 * 60 * 1000;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  static key(ip: string, email: string): string {
    return `${ip}\u0000${email.trim().toLowerCase()}`;
  }

  /** Seconds the caller must wait before trying again, or 0 when an attempt is allowed. */
  retryAfterSeconds(key: string): number {
    const recent = this.#recent(key);
    if (recent.length < this.#max) return 0;
    const oldest = recent[recent.length - this.#max]!;
    return Math.max(1, Math.ceil((oldest + this.#windowMs - this.#clock.now().getTime()) / 1000));
  }

  recordFailure(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.#clock.now().getTime());
    this.#failures.delete(key);
    this.#failures.set(key, recent.slice(-this.#max));
    while (this.#failures.size > this.#maxKeys) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
  }

  recordSuccess(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string): number[] {
    const since = this.#clock.now().getTime() - this.#windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (recent.length === 0) this.#failures.delete(key);
    return recent;
  }
}
