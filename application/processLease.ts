import { randomUUID } from 'node:crypto';
import type { Clock } from './ports/clock.ts';
import type { Doc, ReadStore } from './ports/readStore.ts';

/**
 * Several m3m processes on one store (one SQLite file, one PostgreSQL, one MongoDB) share the work that must
 * happen once: event deliveries to workers, cron ticks. Each process has a boot id (a random UUID per start) and
 * a lease on itself in the read store, `m3m_processes/<bootId>`, renewed every `renewMs` and valid for `ttlMs`.
 * A claim on a piece of work names its owner's boot id; it holds while its owner lives and is never taken over
 * before. Its owner is gone when its lease has lapsed, is missing, or, for a process on the same host (same
 * machine, boot and PID namespace), when its PID no longer runs: a process restarted after a SIGKILL takes over
 * its predecessor's claims at once instead of waiting for the lease to lapse. See docs/adr/0020-several-processes.md.
 */

export const PROCESSES = 'm3m_processes';

export interface ProcessDoc extends Doc {
  /** The boot id (also the document id). */
  bootId: string;
  pid: number;
  /** Identifies the host, its boot and its PID namespace: PIDs are only comparable under the same key. */
  hostKey: string;
  hostname: string;
  startedAt: string;
  renewedAt: string;
  /** Epoch ms: the process counts as gone after this unless it renews. */
  expiresAt: number;
}

/** What only the host can tell: who we are, and whether a PID of this host still runs. */
export interface HostIdentity {
  hostKey: string;
  hostname: string;
  pid: number;
  /** Whether a process with this PID runs on this host now. */
  pidAlive(pid: number): boolean;
}

export interface ProcessLeaseOptions {
  readStore: ReadStore;
  clock: Clock;
  host: HostIdentity;
  /** How long the lease holds without renewal. Default 15 000. */
  ttlMs?: number;
  /** How often it is renewed. Default ttlMs / 5. */
  renewMs?: number;
  /** Expired leases older than this are deleted (their claims were taken over long before). Default 1 day. */
  forgetAfterMs?: number;
  logger?: { error(obj: object, msg: string): void };
  /** A boot id chosen by the caller (tests). */
  bootId?: string;
}

export interface ProcessView {
  bootId: string;
  pid: number;
  hostname: string;
  startedAt: string;
  renewedAt: string;
  /** Whether its lease holds (for this process: whether its last renewal is still valid). */
  alive: boolean;
  self: boolean;
}

const LIVENESS_CACHE_MS = 500;

export class ProcessLease {
  readonly bootId: string;
  readonly #o: Required<Omit<ProcessLeaseOptions, 'bootId' | 'logger'>> & {
    logger: ProcessLeaseOptions['logger'];
  };
  readonly startedAt: string;
  #timer: NodeJS.Timeout | null = null;
  #renewing: Promise<void> | null = null;
  /** Until when our own lease holds, as far as our last successful renewal tells. */
  #validUntil = 0;
  #lastError: string | null = null;
  readonly #cache = new Map<string, { gone: boolean; at: number }>();

  constructor(options: ProcessLeaseOptions) {
    const ttlMs = options.ttlMs ?? 15_000;
    this.#o = {
      readStore: options.readStore,
      clock: options.clock,
      host: options.host,
      ttlMs,
      renewMs: options.renewMs ?? Math.max(50, Math.floor(ttlMs / 5)),
      forgetAfterMs: options.forgetAfterMs ?? 24 * 60 * 60_000,
      logger: options.logger,
    };
    this.bootId = options.bootId ?? randomUUID();
    this.startedAt = options.clock.now().toISOString();
  }

  /** Registers this process and renews its lease in the background until `stop()`. */
  async start(): Promise<void> {
    await this.#o.readStore.ensureIndexes(PROCESSES, [{ fields: ['expiresAt'] }]);
    await this.#renew();
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#renewing) return;
      this.#renewing = this.#renew()
        .catch((err: unknown) => {
          this.#lastError = err instanceof Error ? err.message : String(err);
          this.#o.logger?.error({ err }, 'could not renew the process lease');
        })
        .finally(() => {
          this.#renewing = null;
        });
    }, this.#o.renewMs);
    this.#timer.unref();
  }

  /** Ends the lease: others may take over whatever this process still claims (it handed its work back before). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#renewing;
    this.#validUntil = 0;
    await this.#o.readStore
      .collection(PROCESSES)
      .delete(this.bootId)
      .catch(() => {});
  }

  /** Whether our own lease holds now (its last renewal has not lapsed). */
  holds(): boolean {
    return this.#o.clock.now().getTime() < this.#validUntil;
  }

  get lastError(): string | null {
    return this.#lastError;
  }

  /**
   * Whether the owner of a claim is gone, so its claim may be taken over. `null`/absent owners (claims from
   * before boot ids) are not judged here: the caller falls back to the claim's own expiry.
   */
  async isGone(owner: string): Promise<boolean> {
    if (owner === this.bootId) return false;
    const now = this.#o.clock.now().getTime();
    const cached = this.#cache.get(owner);
    // A gone owner never comes back; a live one is looked at again after a short while.
    if (cached && (cached.gone || now - cached.at < LIVENESS_CACHE_MS)) return cached.gone;
    const doc = await this.#o.readStore.collection<ProcessDoc>(PROCESSES).get(owner);
    const gone = doc === null || this.#goneDoc(doc, now);
    this.#cache.set(owner, { gone, at: now });
    if (this.#cache.size > 1000) this.#cache.delete(this.#cache.keys().next().value!);
    return gone;
  }

  /** The boot ids of registered processes that are gone (never this one). */
  async goneOwners(): Promise<string[]> {
    const now = this.#o.clock.now().getTime();
    const docs = await this.#all();
    return docs.filter((d) => d.id !== this.bootId && this.#goneDoc(d, now)).map((d) => d.id);
  }

  /** Every registered process as this one sees it (for `/health`). */
  async view(): Promise<ProcessView[]> {
    const now = this.#o.clock.now().getTime();
    return (await this.#all()).map((d) => ({
      bootId: d.bootId,
      pid: d.pid,
      hostname: d.hostname,
      startedAt: d.startedAt,
      renewedAt: d.renewedAt,
      alive: d.id === this.bootId ? this.holds() : !this.#goneDoc(d, now),
      self: d.id === this.bootId,
    }));
  }

  /** Deletes a gone process's lease once nothing it claimed is left (the caller checked). */
  async forget(bootId: string): Promise<void> {
    if (bootId === this.bootId) return;
    await this.#o.readStore.collection(PROCESSES).delete(bootId);
  }

  #goneDoc(doc: ProcessDoc, now: number): boolean {
    if (doc.expiresAt <= now) return true;
    const { host } = this.#o;
    return doc.hostKey === host.hostKey && (doc.pid === host.pid || !host.pidAlive(doc.pid));
  }

  async #all(): Promise<ProcessDoc[]> {
    const docs: ProcessDoc[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.#o.readStore
        .collection<ProcessDoc>(PROCESSES)
        .find({}, { limit: 500, cursor, sort: { startedAt: 1 } });
      docs.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return docs;
  }

  async #renew(): Promise<void> {
    const now = this.#o.clock.now();
    const { host } = this.#o;
    await this.#o.readStore.collection<ProcessDoc>(PROCESSES).upsert({
      id: this.bootId,
      bootId: this.bootId,
      pid: host.pid,
      hostKey: host.hostKey,
      hostname: host.hostname,
      startedAt: this.startedAt,
      renewedAt: now.toISOString(),
      expiresAt: now.getTime() + this.#o.ttlMs,
    });
    this.#validUntil = now.getTime() + this.#o.ttlMs;
    this.#lastError = null;
    // Leases lapsed long ago: their claims have been taken over; keep the collection small.
    await this.#o.readStore
      .collection(PROCESSES)
      .deleteMany({ expiresAt: { $lt: now.getTime() - this.#o.forgetAfterMs } });
  }
}
