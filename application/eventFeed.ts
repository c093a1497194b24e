import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Observable, Subject, type Subscription } from 'rxjs';
import type { EventFilter, EventStore, Position, RecordedEvent } from './ports/eventStore.ts';

/**
 * The one follower of `$all` in a process (DESIGN §9, docs/adr/0015-one-event-feed.md). Projections, the
 * runtime subscriber and later consumers (webhooks) join it; it reads `$all` in pages from the lowest position
 * among them, each page read and parsed once, and hands each consumer the events of the types it declared.
 *
 * - Catch-up: pages of `readAll` (with the union of the consumers' types as the store's filter) while a page
 *   comes back full; then live: one `subscribeAll` from where the pages stopped, the events it hands in one
 *   synchronous run gathered into one page. When a consumer falls too far behind the follower goes back to pages, which wait.
 * - Each consumer has its own queue and runs at its own pace; the follower waits for a full queue at most
 *   `graceMs`, then detaches that consumer, which catches up alone (its own pages) and joins again once it
 *   reaches the follower. A consumer that throws is detached, retried from its stored checkpoint (`resume`)
 *   with backoff, and joins again the same way: neither holds the others back.
 * - A consumer keeps its own checkpoint, written with its own writes; the feed only asks for it (`resume`).
 */

/** What m3m tells the operator when the read store does not match the event store. */
export const REPLAY_ADVICE = 'stop m3m and run `m3m replay`, or start it with `m3m serve --replay-if-behind`';

export interface FeedPage {
  /** Events after the consumer's position, in `$all` order, only of the types it declared. */
  events: readonly RecordedEvent[];
  /** Every event of its types up to this `$all` position is in this page or an earlier one. */
  upTo: Position;
}

export type RelayFilter = 'eventTriggers';

export interface FeedConsumer {
  /** Unique in the feed; `/health` shows it. */
  readonly name: string;
  /** The event types it handles; absent: every event. */
  readonly eventTypes?: readonly string[];
  /**
   * Where the feed runs in another thread and relays it its pages (ADR 30), what that thread may leave out:
   * `eventTriggers`, the events no worker listens to (`runtime/eventTriggers.ts`; ADR 33). A page left with
   * nothing is not relayed, the consumer is only told how far it got now and then. The feed in the consumer's
   * own thread ignores it: the consumer does not rely on it.
   */
  readonly relayFilter?: RelayFilter;
  /**
   * Its stored checkpoint: where it resumes. Called when it joins and before each retry; a consumer drops
   * whatever it held of the run that failed.
   */
  resume(): Promise<Position>;
  /** Handles one page; throws to be retried from `resume()` after a backoff. */
  handle(page: FeedPage): Promise<void>;
}

/**
 * Thrown by a consumer whose stored checkpoint moved under it (another process swapped in a rebuild): it
 * resumes from the checkpoint at once, without counting a failure.
 */
export class ResumeFromCheckpoint extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResumeFromCheckpoint';
  }
}

export type ConsumerState = 'starting' | 'catching_up' | 'live' | 'retrying' | 'halted' | 'stopped';

export interface ConsumerStatus {
  name: string;
  state: ConsumerState;
  /** Every event of its types up to this position has been handled. */
  position: Position;
  /** Seconds since it was last at the head the follower knows (0 while it is). */
  lagSeconds: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface FeedLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface EventFeedOptions {
  eventStore: EventStore;
  logger?: FeedLogger;
  /** Events per `readAll` page. Default 1000. */
  pageSize?: number;
  /** Events queued for one consumer before the follower waits for it. Default 4 pages. */
  highWater?: number;
  /** How long the follower waits for a consumer whose queue is full before detaching it. Default 2000 ms. */
  graceMs?: number;
  /** Retry delay after a failure: doubles from `initialMs` up to `maxMs`. Default 250 / 30 000. */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * Whether the stores still belong together (the read store to this event store, the event store's file
   * still in place): `null`, or why not. Asked at every join and every `checkMs`; while it has a reason, as
   * while a checkpoint is beyond the store's head, every consumer stops (`halted`).
   */
  verify?: () => Promise<string | null>;
  /** How often the feed checks the stores while it runs (and whether a halt has cleared). Default 2000 ms. */
  checkMs?: number;
}

interface Member {
  consumer: FeedConsumer;
  types: ReadonlySet<string> | null;
  state: ConsumerState;
  /** Handled up to here. */
  position: Position;
  /** Queued (or handled) up to here: the follower hands it only what is after. */
  queuedTo: Position;
  queue: FeedPage[];
  queuedEvents: number;
  attached: boolean;
  /** Since when its queue has been over `highWater` (0: it is not). */
  fullSince: number;
  running: Promise<void> | null;
  retryTimer: NodeJS.Timeout | null;
  failures: number;
  caughtUpAt: number;
  lastError: string | null;
  lastErrorAt: string | null;
  /** Bumped when it is detached or removed: a run of an older generation stops. */
  generation: number;
}

const silent: FeedLogger = { info: () => {}, error: () => {} };

/**
 * What a consumer's owner sees of the process's feed: the follower itself (`EventFeed`), or, on the HTTP thread
 * when the projections run in their own thread (ADR 30), its stand-in there, which relays the pages of the
 * follower in the projection thread.
 */
export interface Feed {
  join(consumers: readonly FeedConsumer[]): Promise<void>;
  start(): void;
  leave(names: readonly string[]): Promise<void>;
  stop(): Promise<void>;
  status(): ConsumerStatus[];
  statusOf(name: string): ConsumerStatus | null;
  positionOf(name: string): Position | null;
  recheck(): Promise<void>;
  readonly halted: string | null;
  readonly lastError: string | null;
}

export class EventFeed implements Feed {
  readonly #store: EventStore;
  readonly #logger: FeedLogger;
  readonly #pageSize: number;
  readonly #highWater: number;
  readonly #graceMs: number;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #members = new Map<string, Member>();
  /** The follower has read and handed out `$all` up to here. */
  #cursor: Position = 0;
  /** The highest head the follower has seen. */
  #head: Position = 0;
  #started = false;
  #following: Promise<void> | null = null;
  #subscription: Subscription | null = null;
  /** Wakes the follower: a member attached, drained its queue, or the feed stopped. */
  #wake: (() => void) | null = null;
  /** Set while the store cannot be followed at all (e.g. checkpoints beyond its head): every consumer waits. */
  #halt: string | null = null;
  readonly #verify: () => Promise<string | null>;
  readonly #checkMs: number;
  #checkTimer: NodeJS.Timeout | null = null;
  #checking: Promise<void> | null = null;
  readonly #progress = new Subject<string>();
  /** The follower's last failure to read `$all`, until a read succeeds again. */
  #lastError: string | null = null;

  constructor(options: EventFeedOptions) {
    this.#store = options.eventStore;
    this.#logger = options.logger ?? silent;
    this.#pageSize = options.pageSize ?? 1000;
    this.#highWater = options.highWater ?? 4 * this.#pageSize;
    this.#graceMs = options.graceMs ?? 2000;
    this.#backoff = options.backoff ?? { initialMs: 250, maxMs: 30_000 };
    this.#verify = options.verify ?? (async () => null);
    this.#checkMs = options.checkMs ?? 2000;
  }

  /**
   * Adds consumers. Those joining before `start()` (or while nobody follows) start the follower from the
   * lowest of their checkpoints; a later one behind the follower catches up alone, then joins it.
   */
  async join(consumers: readonly FeedConsumer[]): Promise<void> {
    const members = consumers.map((consumer) => {
      if (this.#members.has(consumer.name)) throw new Error(`Feed consumer ${consumer.name} joined twice`);
      const member: Member = {
        consumer,
        types: consumer.eventTypes ? new Set(consumer.eventTypes) : null,
        state: 'starting',
        position: 0,
        queuedTo: 0,
        queue: [],
        queuedEvents: 0,
        attached: false,
        fullSince: 0,
        running: null,
        retryTimer: null,
        failures: 0,
        caughtUpAt: Date.now(),
        lastError: null,
        lastErrorAt: null,
        generation: 0,
      };
      this.#members.set(consumer.name, member);
      return member;
    });
    const positions = await Promise.all(members.map((m) => m.consumer.resume()));
    members.forEach((member, i) => {
      member.position = member.queuedTo = positions[i]!;
    });
    // Read after the checkpoints: a checkpoint is never beyond a head read later, unless the store went back.
    const head = await this.#store.headPosition();
    this.#head = Math.max(this.#head, head);
    const problem = this.#halt ? null : (this.#beyond(members, head) ?? (await this.#verify()));
    if (problem) this.#stopAll(problem);
    for (const member of members) this.#enter(member);
  }

  /** Starts following (idempotent). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#checkTimer = setInterval(() => void this.recheck(), this.#checkMs);
    this.#checkTimer.unref();
    this.#following = this.#follow().catch((err: unknown) => {
      this.#logger.error({ err }, 'event feed stopped on an unexpected error');
    });
  }

  /** Removes consumers: they get nothing more, and a page they are handling is awaited. */
  async leave(names: readonly string[]): Promise<void> {
    const leaving: Promise<void>[] = [];
    for (const name of names) {
      const member = this.#members.get(name);
      if (!member) continue;
      this.#members.delete(name);
      this.#detach(member);
      member.state = 'stopped';
      if (member.retryTimer) clearTimeout(member.retryTimer);
      if (member.running) leaving.push(member.running);
    }
    this.#notify();
    await Promise.all(leaving);
  }

  async stop(): Promise<void> {
    this.#started = false;
    if (this.#checkTimer) clearInterval(this.#checkTimer);
    this.#checkTimer = null;
    await this.#checking;
    this.#subscription?.unsubscribe();
    this.#subscription = null;
    await this.leave([...this.#members.keys()]);
    this.#notify();
    await this.#following;
    this.#following = null;
  }

  status(): ConsumerStatus[] {
    return [...this.#members.values()].map((m) => this.#statusOf(m));
  }

  /** A consumer's position (`statusOf(name).position`), without building its status. */
  positionOf(name: string): Position | null {
    return this.#members.get(name)?.position ?? null;
  }

  statusOf(name: string): ConsumerStatus | null {
    const member = this.#members.get(name);
    return member ? this.#statusOf(member) : null;
  }

  /** The name of a consumer each time it has handled a page (its status is up to date by then). */
  get progress(): Observable<string> {
    return this.#progress;
  }

  /** The follower's last failure to read `$all`, while it lasts. */
  get lastError(): string | null {
    return this.#lastError;
  }

  /** Why the feed stopped every consumer, or `null`. */
  get halted(): string | null {
    return this.#halt;
  }

  #statusOf(m: Member): ConsumerStatus {
    const behind = m.position < this.#head && m.state !== 'live';
    return {
      name: m.consumer.name,
      state: this.#halt && m.state !== 'stopped' ? 'halted' : m.state,
      position: m.position,
      lagSeconds: behind ? Math.round((Date.now() - m.caughtUpAt) / 100) / 10 : 0,
      lastError: m.lastError,
      lastErrorAt: m.lastErrorAt,
    };
  }

  // ── membership ────────────────────────────────────────────────────────────────────────────────────────

  // ── the stores' consistency ───────────────────────────────────────────────────────────────────────────

  /**
   * Checks the stores now: while running, that no checkpoint is beyond the event store's head and `verify`
   * has nothing to say (else every consumer stops); while halted, whether that has cleared (a replay in
   * another process, a restored file), and if so resumes every consumer from its stored checkpoint.
   */
  recheck(): Promise<void> {
    this.#checking ??= this.#check()
      .catch((err: unknown) => this.#logger.error({ err }, 'event feed could not check the stores'))
      .finally(() => {
        this.#checking = null;
      });
    return this.#checking;
  }

  async #check(): Promise<void> {
    const members = [...this.#members.values()];
    if (!this.#halt) {
      const positions = members.map((m) => ({ m, position: m.position }));
      const head = await this.#store.headPosition();
      const problem =
        this.#beyondAt(
          positions.filter((p) => this.#members.get(p.m.consumer.name) === p.m),
          head,
        ) ?? (await this.#verify());
      if (problem && !this.#halt) this.#stopAll(problem);
      return;
    }
    const positions = await Promise.all(members.map((m) => m.consumer.resume()));
    const head = await this.#store.headPosition();
    const resumed = members.map((m, i) => ({ m, position: positions[i]! }));
    const problem = this.#beyondAt(resumed, head) ?? (await this.#verify());
    if (problem) {
      this.#halt = problem;
      return;
    }
    this.#logger.info({}, 'event feed: the stores agree again; consumers resume from their checkpoints');
    this.#halt = null;
    this.#head = Math.max(this.#head, head);
    resumed.sort((a, b) => a.position - b.position);
    for (const { m, position } of resumed) {
      if (this.#members.get(m.consumer.name) !== m) continue;
      m.position = m.queuedTo = position;
      m.state = 'catching_up';
      this.#enter(m);
    }
    this.#notify();
  }

  #beyond(members: readonly Member[], head: Position): string | null {
    return this.#beyondAt(
      members.map((m) => ({ m, position: m.position })),
      head,
    );
  }

  #beyondAt(positions: readonly { m: Member; position: Position }[], head: Position): string | null {
    const ahead = positions.find((p) => p.position > head);
    if (!ahead) return null;
    return `the read store is ahead of the event store: ${ahead.m.consumer.name} has handled $all up to position ${ahead.position}, the event store ends at ${head} (restored from an older backup, or lost?): ${REPLAY_ADVICE}`;
  }

  /** Stops every consumer until the stores agree again (`recheck`). */
  #stopAll(reason: string): void {
    this.#halt = reason;
    this.#logger.error({ reason }, 'event feed stopped every consumer');
    this.#dropSubscription();
    for (const m of this.#members.values()) {
      this.#detach(m);
      if (m.retryTimer) clearTimeout(m.retryTimer);
      m.retryTimer = null;
    }
    this.#notify();
  }

  /** A member with a known position joins the follower, or catches up alone first when it is behind. */
  #enter(m: Member): void {
    if (!this.#members.has(m.consumer.name) || this.#halt) return;
    const followed = [...this.#members.values()].some((other) => other.attached);
    if (!this.#started || !followed) {
      // Nobody to hold back: the follower (re)starts from the lowest position.
      const cursor = followed ? Math.min(this.#cursor, m.position) : m.position;
      if (cursor < this.#cursor) this.#dropSubscription();
      this.#cursor = cursor;
      this.#attach(m);
    } else if (m.position >= this.#cursor) {
      this.#attach(m);
    } else {
      void this.#catchUpAlone(m);
    }
  }

  #attach(m: Member): void {
    const filterBefore = this.#filter();
    m.attached = true;
    m.queuedTo = m.position;
    m.state = m.position >= this.#head ? 'live' : 'catching_up';
    // A new type to read: the live subscription is started again with the wider filter.
    if (!sameFilter(filterBefore, this.#filter())) this.#dropSubscription();
    this.#notify();
  }

  #detach(m: Member): void {
    m.attached = false;
    m.generation++;
    m.queue = [];
    m.queuedEvents = 0;
    m.fullSince = 0;
  }

  /** The store's filter: the union of the followed members' types, or none when one takes every event. */
  #filter(): EventFilter | undefined {
    const types = new Set<string>();
    for (const m of this.#members.values()) {
      if (!m.attached) continue;
      if (!m.types) return undefined;
      for (const type of m.types) types.add(type);
    }
    return { eventTypes: [...types].sort() };
  }

  // ── the follower ──────────────────────────────────────────────────────────────────────────────────────

  async #follow(): Promise<void> {
    let failures = 0;
    while (this.#started) {
      try {
        if (![...this.#members.values()].some((m) => m.attached) || this.#halt) {
          await this.#sleep();
          continue;
        }
        const full = await this.#readPage();
        failures = 0;
        this.#lastError = null;
        if (!full) await this.#followLive();
      } catch (err) {
        if (!this.#started) return;
        failures++;
        this.#logger.error({ err }, 'event feed could not read $all; retrying');
        this.#lastError = err instanceof Error ? err.message : String(err);
        // Every followed consumer waits on the follower: each reports the failure until a page comes again.
        for (const m of this.#members.values()) {
          if (!m.attached) continue;
          m.state = 'retrying';
          this.#noteError(m, err);
        }
        await this.#sleep(this.#delay(failures));
      }
    }
  }

  /** Reads and hands out one page after waiting for room; `false` once it came back short (caught up). */
  async #readPage(): Promise<boolean> {
    await this.#room();
    const filter = this.#filter();
    const from = this.#cursor;
    const members = [...this.#members.values()].map((m) => ({ m, position: m.position }));
    const { events, upTo, full, head } = await readPage(this.#store, from, filter, this.#pageSize);
    const problem = this.#halt ? null : this.#beyondAt(members, head);
    if (problem) {
      this.#stopAll(problem);
      return true;
    }
    if (this.#halt) return true;
    this.#head = Math.max(this.#head, upTo);
    for (const m of this.#members.values()) {
      if (m.attached && m.state === 'retrying') m.state = m.position >= this.#head ? 'live' : 'catching_up';
    }
    if (this.#cursor === from) this.#handOut(events, upTo);
    return full;
  }

  /** Follows `subscribeAll` until a consumer's queue fills up or the filter changes. */
  #followLive(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let batch: RecordedEvent[] = [];
      let reached = this.#cursor;
      let scheduled = false;
      const flush = () => {
        scheduled = false;
        if (subscription.closed) return;
        const events = batch;
        batch = [];
        const upTo = Math.max(reached, events.at(-1)?.position ?? 0);
        this.#head = Math.max(this.#head, upTo);
        this.#handOut(events, upTo);
        if (this.#anyFull()) this.#dropSubscription();
      };
      const schedule = () => {
        if (scheduled) return;
        scheduled = true;
        // A store hands a page's events in one synchronous run: they are handed out together, at once after.
        queueMicrotask(flush);
      };
      const subscription = this.#store
        .subscribeAll({
          fromPosition: this.#cursor,
          filter: this.#filter(),
          onCheckpoint: (position) => {
            reached = Math.max(reached, position);
            schedule();
          },
        })
        .subscribe({
          next: (event) => {
            batch.push(event);
            reached = Math.max(reached, event.position);
            schedule();
          },
          error: (err: unknown) => reject(err),
          complete: () => {
            if (this.#started) reject(new Error('the event store subscription ended'));
            else resolve();
          },
        });
      subscription.add(() => {
        // Dropped (full queue, new filter, stop): hand out what came before going back to pages.
        if (batch.length > 0 || reached > this.#cursor) {
          const events = batch;
          batch = [];
          this.#handOut(events, Math.max(reached, events.at(-1)?.position ?? 0));
        }
        resolve();
      });
      this.#subscription = subscription;
    });
  }

  #dropSubscription(): void {
    const subscription = this.#subscription;
    this.#subscription = null;
    subscription?.unsubscribe();
  }

  /** Hands a page to every followed member: the events of its types it has not had yet. */
  #handOut(events: readonly RecordedEvent[], upTo: Position): void {
    if (upTo <= this.#cursor && events.length === 0) return;
    this.#cursor = Math.max(this.#cursor, upTo);
    for (const m of this.#members.values()) {
      if (!m.attached) continue;
      if (m.state === 'retrying') m.state = 'catching_up';
      if (upTo <= m.queuedTo) continue;
      const mine = events.filter((e) => e.position > m.queuedTo && (!m.types || m.types.has(e.type)));
      m.queue.push({ events: mine, upTo });
      m.queuedTo = upTo;
      m.queuedEvents += mine.length;
      if (m.queuedEvents > this.#highWater && m.fullSince === 0) m.fullSince = Date.now();
      this.#run(m);
    }
  }

  #anyFull(): boolean {
    return [...this.#members.values()].some((m) => m.attached && m.queuedEvents > this.#highWater);
  }

  /** Waits until no followed member's queue is full; one full for longer than `graceMs` is detached. */
  async #room(): Promise<void> {
    for (;;) {
      const full = [...this.#members.values()].filter((m) => m.attached && m.queuedEvents > this.#highWater);
      if (full.length === 0 || !this.#started) return;
      const now = Date.now();
      for (const m of full) {
        if (now - m.fullSince < this.#graceMs) continue;
        this.#logger.info({ consumer: m.consumer.name }, 'feed consumer lags: it catches up alone');
        this.#detach(m);
        m.state = 'catching_up';
        const running = m.running ?? Promise.resolve();
        void running.then(() => {
          if (this.#members.get(m.consumer.name) === m && !m.attached) void this.#catchUpAlone(m);
        });
      }
      const oldest = Math.min(...full.map((m) => m.fullSince));
      await this.#sleep(Math.max(10, oldest + this.#graceMs - now));
    }
  }

  // ── one member ────────────────────────────────────────────────────────────────────────────────────────

  /** Works through a member's queue, merging queued pages into one of up to `pageSize` events. */
  #run(m: Member): void {
    if (m.running) return;
    const generation = m.generation;
    m.running = (async () => {
      while (m.queue.length > 0 && m.generation === generation && !this.#halt) {
        const page = this.#take(m);
        try {
          // A page with events costs a transaction (SQLite's synchronous): each waits for the next turn of the
          // event loop, so requests that came in meanwhile are served between consumers rather than after all.
          if (page.events.length > 0) {
            await nextTurn();
            // Detached or halted meanwhile: the page is read again from its position when it is back.
            if (m.generation !== generation || this.#halt) return;
          }
          await m.consumer.handle(page);
        } catch (err) {
          if (m.generation === generation) this.#fail(m, err);
          return;
        }
        // Handled even when it was detached meanwhile: catching up alone, it goes on after this page.
        this.#handled(m, page.upTo);
        if (m.generation !== generation) return;
      }
    })().finally(() => {
      m.running = null;
      if (m.queue.length > 0 && m.attached) this.#run(m);
    });
  }

  #take(m: Member): FeedPage {
    const events: RecordedEvent[] = [];
    let upTo = m.position;
    while (m.queue.length > 0) {
      const next = m.queue[0]!;
      if (events.length > 0 && events.length + next.events.length > this.#pageSize) break;
      m.queue.shift();
      events.push(...next.events);
      upTo = next.upTo;
      m.queuedEvents -= next.events.length;
    }
    if (m.queuedEvents <= this.#highWater) m.fullSince = 0;
    return { events, upTo };
  }

  #handled(m: Member, upTo: Position): void {
    m.position = Math.max(m.position, upTo);
    m.failures = 0;
    if (m.position >= this.#head) {
      m.caughtUpAt = Date.now();
      if (m.attached) m.state = 'live';
    }
    this.#notify();
    this.#progress.next(m.consumer.name);
  }

  /** Reads its own pages until it reaches the follower, then joins it. */
  async #catchUpAlone(m: Member): Promise<void> {
    const generation = ++m.generation;
    m.state = 'catching_up';
    const filter = m.types ? { eventTypes: [...m.types] } : undefined;
    m.running = (async () => {
      try {
        while (m.generation === generation && this.#members.get(m.consumer.name) === m) {
          if (this.#halt) {
            await this.#sleep(1000);
            continue;
          }
          const followed = [...this.#members.values()].some((other) => other.attached);
          if (m.position >= this.#cursor || !followed) return true;
          const page = await readPage(this.#store, m.position, filter, this.#pageSize);
          this.#head = Math.max(this.#head, page.upTo);
          await m.consumer.handle({ events: page.events, upTo: page.upTo });
          this.#handled(m, page.upTo);
          if (m.generation !== generation) return false;
        }
        return false;
      } catch (err) {
        if (m.generation === generation) this.#fail(m, err);
        return false;
      }
    })()
      .then((caughtUp) => {
        m.running = null;
        if (caughtUp && m.generation === generation) this.#enter(m);
      })
      .catch(() => {});
  }

  /** Detaches a member that threw and retries it from its stored checkpoint after a backoff. */
  #fail(m: Member, err: unknown): void {
    this.#detach(m);
    if (err instanceof ResumeFromCheckpoint) {
      this.#logger.info({ consumer: m.consumer.name, reason: err.message }, 'feed consumer resumes');
      void this.#retry(m);
      return;
    }
    m.failures++;
    m.state = 'retrying';
    this.#noteError(m, err);
    this.#logger.error({ consumer: m.consumer.name, err }, 'feed consumer failed; will retry');
    m.retryTimer = setTimeout(() => {
      m.retryTimer = null;
      void this.#retry(m);
    }, this.#delay(m.failures));
    m.retryTimer.unref();
  }

  async #retry(m: Member): Promise<void> {
    if (this.#members.get(m.consumer.name) !== m) return;
    try {
      m.position = m.queuedTo = await m.consumer.resume();
      this.#enter(m);
    } catch (err) {
      this.#fail(m, err);
    }
  }

  #noteError(m: Member, err: unknown): void {
    m.lastError = err instanceof Error ? err.message : String(err);
    m.lastErrorAt = new Date().toISOString();
  }

  #delay(failures: number): number {
    return Math.min(this.#backoff.maxMs, this.#backoff.initialMs * 2 ** Math.max(0, failures - 1));
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #sleep(ms = 1000): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      const previous = this.#wake;
      this.#wake = done;
      function done() {
        clearTimeout(timer);
        previous?.();
        resolve();
      }
    });
  }
}

/**
 * One page of `$all` after `from`: the events (at most `limit`), the position it covers up to, and whether
 * it came back full. A short page covers up to the head read before it, so a sparse filter does not scan
 * again what held nothing.
 */
export async function readPage(
  store: EventStore,
  from: Position,
  filter: EventFilter | undefined,
  limit: number,
): Promise<{ events: RecordedEvent[]; upTo: Position; full: boolean; head: Position }> {
  const head = await store.headPosition();
  const events = await store.readAll({ fromPosition: from, limit, filter });
  const full = events.length === limit;
  const last = events.at(-1)?.position ?? from;
  return { events, upTo: full ? last : Math.max(last, head, from), full, head };
}

function sameFilter(a: EventFilter | undefined, b: EventFilter | undefined): boolean {
  return a?.eventTypes?.join('\n') === b?.eventTypes?.join('\n');
}

/** A consumer of a bounded pass: it starts after `position`. */
export interface PassConsumer {
  readonly name: string;
  readonly eventTypes?: readonly string[];
  readonly position: Position;
  handle(page: FeedPage): Promise<void>;
}

/**
 * One pass over `$all` up to its head for several consumers in step (a rebuild of all projections): each page
 * read and parsed once, handed to every consumer, the next read once all have handled it, so memory holds a
 * page whatever the length of `$all`. A consumer that throws ends the pass. Returns the events read.
 */
export async function passOnce(options: {
  eventStore: EventStore;
  consumers: readonly PassConsumer[];
  pageSize?: number;
  onPage?: (eventsRead: number, position: Position) => void;
}): Promise<number> {
  const { eventStore, consumers } = options;
  if (consumers.length === 0) return 0;
  const limit = options.pageSize ?? 1000;
  const sets = consumers.map((c) => (c.eventTypes ? new Set(c.eventTypes) : null));
  const filter = sets.every(Boolean)
    ? { eventTypes: [...new Set(consumers.flatMap((c) => c.eventTypes ?? []))].sort() }
    : undefined;
  const positions = consumers.map((c) => c.position);
  let cursor = Math.min(...positions);
  let read = 0;
  for (;;) {
    const page = await readPage(eventStore, cursor, filter, limit);
    await Promise.all(
      consumers.map((consumer, i) => {
        if (page.upTo <= positions[i]!) return undefined;
        const types = sets[i];
        const after = positions[i]!;
        const events = page.events.filter((e) => e.position > after && (!types || types.has(e.type)));
        positions[i] = page.upTo;
        return consumer.handle({ events, upTo: page.upTo });
      }),
    );
    read += page.events.length;
    cursor = page.upTo;
    options.onPage?.(read, cursor);
    if (!page.full) return read;
  }
}
