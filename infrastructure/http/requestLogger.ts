import type { FastifyBaseLogger } from 'fastify';

type Bindings = Record<string, unknown>;
type Log = (...args: unknown[]) => void;

/**
 * Fastify's `childLoggerFactory`: the logger of a request (its id bound) is made when something logs through it.
 * Fastify makes one per request, and pino's `child` serializes the bindings each time, yet most requests never
 * use it: the request line is written by the app's own logger (`app.ts`), and only refusals and failures log
 * through the request's.
 */
export function lazyRequestLogger(
  this: unknown,
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: object,
): FastifyBaseLogger {
  return new LazyChild(logger, bindings, options) as unknown as FastifyBaseLogger;
}

class LazyChild {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: object;
  #made: FastifyBaseLogger | null = null;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: object) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #child(): FastifyBaseLogger {
    this.#made ??= this.#parent.child(this.#bindings, this.#options);
    return this.#made;
  }

  get level(): string {
    return this.#made?.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#child().level = level;
  }

  fatal(...args: unknown[]): void {
    (this.#child().fatal as Log)(...args);
  }
  error(...args: unknown[]): void {
    (this.#child().error as Log)(...args);
  }
  warn(...args: unknown[]): void {
    (this.#child().warn as Log)(...args);
  }
  info(...args: unknown[]): void {
    (this.#child().info as Log)(...args);
  }
  debug(...args: unknown[]): void {
    (this.#child().debug as Log)(...args);
  }
  trace(...args: unknown[]): void {
    (this.#child().trace as Log)(...args);
  }
  silent(...args: unknown[]): void {
    (this.#child().silent as Log)(...args);
  }
  child(bindings: Bindings, options?: object): FastifyBaseLogger {
    return this.#child().child(bindings, options);
  }
}
