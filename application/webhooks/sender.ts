import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { isOn } from '../../domain/projectModules.ts';
import { PROJECT_MODULES, type ProjectModuleDoc, projectModuleId } from '../modules/readModel.ts';
import type { OutboundFetch } from '../ports/outboundFetch.ts';
import type { ReadStoreSession } from '../ports/readStore.ts';
import type { ClaimOwners } from '../runtime/deliveryQueue.ts';
import type { WebhookDeps } from './deps.ts';
import { disableWebhookBySystem } from './endpoints.ts';
import { TEST_EVENT_TYPE } from './publicEvents.ts';
import {
  WEBHOOK_ATTEMPTS,
  WEBHOOK_ENDPOINT_HEALTH,
  WEBHOOK_MESSAGES,
  WEBHOOK_RATE_WINDOWS,
  WEBHOOKS,
  type WebhookAttemptDoc,
  type WebhookDoc,
  type WebhookHealthDoc,
  type WebhookMessageDoc,
  type WebhookRateWindowDoc,
} from './readModel.ts';
import { decryptSecret } from './secrets.ts';
import { webhookHeaders } from './signature.ts';

/**
 * Sends the outbox's messages (`webhook_messages`), signed per Standard Webhooks. Several m3m processes may
 * run one on the same read store: a message is claimed in a transaction (status `sending`, this sender as
 * `leaseOwner`, until `dueAt`) before it is sent, and settled only by the claim's owner, so no two processes
 * send one message at once; a claim whose process died lapses and is taken over. A message acknowledged (2xx)
 * is `succeeded` and never sent again unless someone asks for a redelivery.
 *
 * Success is a 2xx within the time limit (15 s); anything else, a redirect included (never followed), is a
 * failure, retried after the delays of the schedule (`M3M_WEBHOOK_RETRY_SCHEDULE`, up to +10 % jitter), then
 * `failed`. A 410 disables the endpoint at once; an endpoint that has failed every attempt for 5 days is
 * disabled with that reason. Per endpoint at most `perEndpointConcurrency` sends run at once in a process
 * and at most `rateLimit` start per second, so a slow receiver never holds back the others.
 */

export interface SenderLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WebhookSenderOptions {
  deps: WebhookDeps;
  /** The outbound guard (private addresses refused unless allowed), 15 s, keeps the first 4 KB of a response. */
  fetcher: OutboundFetch;
  logger: SenderLogger;
  /** Delays (ms) before each retry. */
  retrySchedule: readonly number[];
  /** How often due messages and lapsed claims are looked for. Default 500 ms. */
  pollMs?: number;
  /** How long a claim lasts (longer than a send's time limit). Default 60 s. */
  leaseMs?: number;
  /** Sends at once over all endpoints. Default 32. */
  concurrency?: number;
  /** Sends at once to one endpoint. Default 4. */
  perEndpointConcurrency?: number;
  /** An endpoint failing every attempt this long is disabled. Default 5 days. */
  failingDisableMs?: number;
  /** Attempts and settled messages are kept this many days (`M3M_LOG_RETENTION_DAYS`). */
  retentionDays: number;
  /**
   * The process lease (ADR 20): claims carry its boot id, and a claim whose process is gone (its lease lapsed,
   * or its PID is not running on this host) is taken over at once instead of after `leaseMs`. Absent (tools),
   * claims carry a random owner and lapse at `leaseMs`.
   */
  owners?: ClaimOwners;
}

export interface SenderStatus {
  state: 'idle' | 'running' | 'stopped';
  inFlight: number;
  sent: { succeeded: number; failed: number; retried: number };
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface AttemptResult {
  statusCode: number | null;
  durationMs: number;
  responseBody: string;
  error: string | null;
  outcome: 'succeeded' | 'failed';
}

const FIVE_DAYS_MS = 5 * 24 * 60 * 60 * 1000;
/** An endpoint the read model does not show yet (it lags the outbox) is looked for again this much later. */
const ENDPOINT_WAIT_MS = 1000;
/** … for at most this long after the message was made; then the endpoint is taken as deleted. */
const ENDPOINT_GIVE_UP_MS = 60_000;
const SWEEP_INTERVAL_MS = 60 * 60_000;

export class WebhookSender {
  readonly #o: Required<Omit<WebhookSenderOptions, 'owners'>>;
  readonly #owners: ClaimOwners | null;
  readonly #owner: string;
  /**
   * Runs a function in the context the sender was made in. The outbox nudges from inside its read-store
   * transaction; a poll started there would inherit that transaction's async context, and every claim it made
   * (a transaction of its own) would be refused as nested — so polls always start from here.
   */
  readonly #outside = AsyncLocalStorage.snapshot();
  #state: SenderStatus['state'] = 'idle';
  #timer: NodeJS.Timeout | null = null;
  #sweeper: NodeJS.Timeout | null = null;
  #nudge: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;
  #again = false;
  readonly #running = new Set<Promise<void>>();
  readonly #perEndpoint = new Map<string, number>();
  readonly #sent = { succeeded: 0, failed: 0, retried: 0 };
  #lastError: string | null = null;
  #lastErrorAt: string | null = null;

  constructor(options: WebhookSenderOptions) {
    this.#o = {
      pollMs: 500,
      leaseMs: 60_000,
      concurrency: 32,
      perEndpointConcurrency: 4,
      failingDisableMs: FIVE_DAYS_MS,
      ...options,
    };
    this.#owners = options.owners ?? null;
    this.#owner = options.owners?.bootId ?? randomUUID();
  }

  async start(): Promise<void> {
    const { readStore } = this.#o.deps;
    await readStore.ensureIndexes(WEBHOOK_ATTEMPTS, [
      { fields: ['messageId', 'atMs'] },
      { fields: ['atMs'] },
    ]);
    this.#state = 'running';
    this.#timer = setInterval(() => this.#poll(), this.#o.pollMs);
    this.#timer.unref();
    this.#sweeper = setInterval(() => {
      this.sweep().catch((err: unknown) => this.#noteError(err, 'webhook retention sweep failed'));
    }, SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
    this.#poll();
  }

  /**
   * The delivery log's retention: attempts older than `retentionDays`, and settled messages made before then
   * (with endpoints of deleted projects that have nothing left to send). Returns how many documents went.
   */
  async sweep(): Promise<number> {
    const { readStore, clock } = this.#o.deps;
    const before = clock.now().getTime() - this.#o.retentionDays * 86_400_000;
    let removed = await readStore.collection(WEBHOOK_ATTEMPTS).deleteMany({ atMs: { $lt: before } });
    const messages = readStore.collection<WebhookMessageDoc>(WEBHOOK_MESSAGES);
    removed += await messages.deleteMany({
      status: { $in: ['succeeded', 'failed'] },
      createdAt: { $lt: new Date(before).toISOString() },
    });
    const endpoints = readStore.collection<WebhookDoc>(WEBHOOKS);
    for (const doc of (await endpoints.find({ projectDeleted: true }, { limit: 100 })).items) {
      if ((await messages.count({ webhookId: doc.id, status: { $in: ['pending', 'sending'] } })) > 0)
        continue;
      await endpoints.delete(doc.id);
      await readStore.collection(WEBHOOK_RATE_WINDOWS).delete(doc.id);
      removed++;
    }
    return removed;
  }

  /** New messages were queued: look sooner than the next poll. */
  nudge(): void {
    if (this.#state !== 'running' || this.#nudge) return;
    this.#nudge = setTimeout(() => {
      this.#nudge = null;
      this.#poll();
    }, 5);
    this.#nudge.unref();
  }

  status(): SenderStatus {
    return {
      state: this.#state,
      inFlight: this.#running.size,
      sent: { ...this.#sent },
      lastError: this.#lastError,
      lastErrorAt: this.#lastErrorAt,
    };
  }

  /** Stops claiming; sends under way finish (each is bounded by the time limit). */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    if (this.#timer) clearInterval(this.#timer);
    if (this.#sweeper) clearInterval(this.#sweeper);
    if (this.#nudge) clearTimeout(this.#nudge);
    this.#timer = this.#nudge = null;
    await this.#polling;
    await Promise.all([...this.#running]);
  }

  /** Looks for due messages now and waits for that look (tests; the timer does it every `pollMs`). */
  async pollNow(): Promise<void> {
    this.#poll();
    await this.#polling;
  }

  /**
   * "Send test event": a `webhook.test` message to one endpoint now, enabled or not; its one attempt is
   * recorded and returned. It is not retried and counts neither for disabling the endpoint nor against its rate.
   */
  async sendTest(endpoint: WebhookDoc): Promise<{ message: WebhookMessageDoc; attempt: WebhookAttemptDoc }> {
    const now = this.#o.deps.clock.now();
    const id = `msg_${randomUUID().replaceAll('-', '')}`;
    const body = JSON.stringify({
      type: TEST_EVENT_TYPE,
      timestamp: now.toISOString(),
      data: { projectId: endpoint.projectId, webhookId: endpoint.id },
    });
    const message: WebhookMessageDoc = {
      id,
      webhookId: endpoint.id,
      projectId: endpoint.projectId,
      eventId: null,
      eventType: TEST_EVENT_TYPE,
      body,
      createdAt: now.toISOString(),
      status: 'sending',
      attempts: 0,
      roundAttempts: 0,
      dueAt: now.getTime() + this.#o.leaseMs,
      leaseOwner: this.#owner,
      lastAttemptAt: null,
      lastStatusCode: null,
      lastError: null,
      updatedAt: now.toISOString(),
    };
    await this.#o.deps.readStore.collection<WebhookMessageDoc>(WEBHOOK_MESSAGES).insert(message);
    const attempt = await this.#attempt(endpoint, message);
    return this.#o.deps.readStore.transaction(async (session) => {
      const recorded = await this.#recordAttempt(session, message, attempt, 'test');
      const update = {
        status: attempt.outcome,
        attempts: 1,
        dueAt: null,
        leaseOwner: null,
        lastAttemptAt: this.#o.deps.clock.now().toISOString(),
        lastStatusCode: attempt.statusCode,
        lastError: attempt.error,
        updatedAt: this.#o.deps.clock.now().toISOString(),
      };
      await session.collection<WebhookMessageDoc>(WEBHOOK_MESSAGES).patch(id, { $set: update });
      return { message: { ...message, ...update }, attempt: recorded };
    });
  }

  // ── claiming ──────────────────────────────────────────────────────────────────────────────────────────

  #poll(): void {
    this.#outside(() => this.#pollHere());
  }

  #pollHere(): void {
    if (this.#state !== 'running') return;
    if (this.#polling) {
      this.#again = true;
      return;
    }
    this.#polling = this.#pollOnce()
      .catch((err: unknown) => this.#noteError(err, 'webhook sender could not read its queue'))
      .finally(() => {
        this.#polling = null;
        if (this.#again) {
          this.#again = false;
          this.#poll();
        }
      });
  }

  async #pollOnce(): Promise<void> {
    const { readStore, clock } = this.#o.deps;
    const room = this.#o.concurrency - this.#running.size;
    if (room <= 0) return;
    const now = clock.now().getTime();
    const messages = readStore.collection<WebhookMessageDoc>(WEBHOOK_MESSAGES);
    const due = await messages.find(
      { status: { $in: ['pending', 'sending'] }, dueAt: { $lte: now } },
      { sort: { dueAt: 1 }, limit: Math.max(room * 4, 50) },
    );
    const candidates = [...(await this.#orphans(now)), ...due.items];
    const endpoints = new Map<string, WebhookDoc | null>();
    const limited = new Set<string>();
    for (const doc of candidates) {
      if (this.#state !== 'running' || this.#running.size >= this.#o.concurrency) return;
      if ((this.#perEndpoint.get(doc.webhookId) ?? 0) >= this.#o.perEndpointConcurrency) continue;
      if (!endpoints.has(doc.webhookId)) {
        endpoints.set(doc.webhookId, await readStore.collection<WebhookDoc>(WEBHOOKS).get(doc.webhookId));
      }
      const endpoint = endpoints.get(doc.webhookId) ?? null;
      if (endpoint && limited.has(endpoint.id)) continue;
      const claimed = await this.#claim(doc, endpoint);
      if (claimed === 'rate') {
        limited.add(doc.webhookId);
        // Look again when the next second starts.
        setTimeout(() => this.#poll(), Math.max(1, 1000 - (clock.now().getTime() % 1000))).unref();
        continue;
      }
      if (!claimed) continue;
      this.#launch(claimed, endpoint);
    }
  }

  /**
   * Messages claimed by a process that is gone (killed, or its lease lapsed) before their claim's expiry: they
   * are taken over now. What such a process had sent and the receiver acknowledged, but not yet recorded, is
   * sent once more, with the same `webhook-id` (ADR 17).
   */
  async #orphans(now: number): Promise<WebhookMessageDoc[]> {
    const owners = this.#owners;
    if (!owners) return [];
    const claimed = await this.#o.deps.readStore
      .collection<WebhookMessageDoc>(WEBHOOK_MESSAGES)
      .find({ status: 'sending', dueAt: { $gt: now } }, { sort: { dueAt: 1 }, limit: 200 });
    const orphans: WebhookMessageDoc[] = [];
    for (const doc of claimed.items) {
      if (doc.leaseOwner && doc.leaseOwner !== this.#owner && (await owners.isGone(doc.leaseOwner))) {
        orphans.push(doc);
      }
    }
    return orphans;
  }

  /**
   * Claims the message if nobody changed it since it was read (due, or claimed by a process that is gone) and
   * the endpoint's rate allows one more send this second (`'rate'` when not). The rate window is counted in the
   * store, in the claim's transaction, so it holds for every m3m process on the store together.
   */
  async #claim(
    doc: WebhookMessageDoc,
    endpoint: WebhookDoc | null,
  ): Promise<WebhookMessageDoc | 'rate' | null> {
    const { readStore, clock } = this.#o.deps;
    const takeOver =
      doc.status === 'sending' &&
      doc.leaseOwner !== null &&
      doc.leaseOwner !== this.#owner &&
      (await this.#owners?.isGone(doc.leaseOwner)) === true;
    return readStore.transaction(async (session) => {
      const messages = session.collection<WebhookMessageDoc>(WEBHOOK_MESSAGES);
      const current = await messages.get(doc.id);
      const now = clock.now().getTime();
      if (!current || current.status !== doc.status || current.dueAt !== doc.dueAt) return null;
      if (current.leaseOwner !== doc.leaseOwner || current.dueAt === null) return null;
      if (current.dueAt > now && !takeOver) return null;
      if (endpoint) {
        const windows = session.collection<WebhookRateWindowDoc>(WEBHOOK_RATE_WINDOWS);
        const second = Math.floor(now / 1000);
        const window = await windows.get(endpoint.id);
        const count = window?.second === second ? window.count : 0;
        if (count >= endpoint.rateLimit) return 'rate';
        await windows.upsert({ id: endpoint.id, second, count: count + 1 });
      }
      const lease = { status: 'sending' as const, leaseOwner: this.#owner, dueAt: now + this.#o.leaseMs };
      await messages.patch(doc.id, { $set: lease });
      return { ...current, ...lease };
    });
  }

  #launch(message: WebhookMessageDoc, endpoint: WebhookDoc | null): void {
    this.#perEndpoint.set(message.webhookId, (this.#perEndpoint.get(message.webhookId) ?? 0) + 1);
    const run = this.#deliver(message, endpoint)
      .catch((err: unknown) => this.#noteError(err, 'webhook delivery could not be recorded'))
      .finally(() => {
        this.#running.delete(run);
        const left = (this.#perEndpoint.get(message.webhookId) ?? 1) - 1;
        if (left > 0) this.#perEndpoint.set(message.webhookId, left);
        else this.#perEndpoint.delete(message.webhookId);
        this.#poll();
      });
    this.#running.add(run);
  }

  // ── sending ───────────────────────────────────────────────────────────────────────────────────────────

  async #deliver(message: WebhookMessageDoc, endpoint: WebhookDoc | null): Promise<void> {
    const now = this.#o.deps.clock.now();
    if (!endpoint) {
      const young = now.getTime() - Date.parse(message.createdAt) < ENDPOINT_GIVE_UP_MS;
      await this.#settle(
        message,
        young
          ? { status: 'pending', dueAt: now.getTime() + ENDPOINT_WAIT_MS }
          : { status: 'failed', dueAt: null, lastError: 'the endpoint was deleted' },
      );
      return;
    }
    if (!endpoint.enabled && !endpoint.projectDeleted) {
      await this.#settle(message, { status: 'failed', dueAt: null, lastError: 'the endpoint is disabled' });
      return;
    }
    if (!endpoint.projectDeleted && !(await this.#moduleOn(endpoint.projectId, now))) {
      await this.#settle(message, {
        status: 'failed',
        dueAt: null,
        lastError: 'the webhooks module is not active in the project',
      });
      return;
    }
    const attempt = await this.#attempt(endpoint, message);
    const at = this.#o.deps.clock.now();
    const attempts = message.attempts + 1;
    const roundAttempts = message.roundAttempts + 1;
    const common = {
      attempts,
      roundAttempts,
      lastAttemptAt: at.toISOString(),
      lastStatusCode: attempt.statusCode,
      lastError: attempt.error,
    };
    let disable: { reason: 'gone' | 'failing'; detail: string } | null = null;
    let update: Partial<WebhookMessageDoc>;
    if (attempt.outcome === 'succeeded') {
      update = { ...common, status: 'succeeded', dueAt: null };
      this.#sent.succeeded++;
    } else if (attempt.statusCode === 410) {
      update = { ...common, status: 'failed', dueAt: null };
      disable = { reason: 'gone', detail: 'The receiver answered 410 Gone.' };
      this.#sent.failed++;
    } else if (roundAttempts > this.#o.retrySchedule.length) {
      update = { ...common, status: 'failed', dueAt: null };
      this.#sent.failed++;
    } else {
      const delay = this.#o.retrySchedule[roundAttempts - 1]!;
      update = {
        ...common,
        status: 'pending',
        dueAt: at.getTime() + Math.round(delay * (1 + Math.random() * 0.1)),
      };
      this.#sent.retried++;
    }
    const failingFor = await this.#settle(message, update, attempt);
    if (!disable && failingFor !== null && failingFor >= this.#o.failingDisableMs) {
      disable = {
        reason: 'failing',
        detail: `Every attempt failed for ${Math.floor(failingFor / 86_400_000)} days.`,
      };
    }
    if (disable && endpoint.enabled) {
      this.#o.logger.warn({ webhookId: endpoint.id, reason: disable.reason }, 'webhook endpoint disabled');
      await disableWebhookBySystem(this.#o.deps, endpoint.id, disable.reason, disable.detail);
    }
  }

  async #moduleOn(projectId: string, now: Date): Promise<boolean> {
    const doc = await this.#o.deps.readStore
      .collection<ProjectModuleDoc>(PROJECT_MODULES)
      .get(projectModuleId(projectId, 'webhooks'));
    return isOn(doc, now);
  }

  /** One signed POST. Never throws: a refused address, a timeout or a connection error is a failed attempt. */
  async #attempt(endpoint: WebhookDoc, message: WebhookMessageDoc): Promise<AttemptResult> {
    const { cipher, clock } = this.#o.deps;
    const now = clock.now();
    const secrets = [decryptSecret(cipher, endpoint.projectId, endpoint.id, endpoint.encryptedSecret)];
    if (
      endpoint.previousEncryptedSecret &&
      endpoint.previousSecretExpiresAt &&
      Date.parse(endpoint.previousSecretExpiresAt) > now.getTime()
    ) {
      secrets.push(decryptSecret(cipher, endpoint.projectId, endpoint.id, endpoint.previousEncryptedSecret));
    }
    const timestamp = Math.floor(now.getTime() / 1000);
    const started = performance.now();
    try {
      const response = await this.#o.fetcher.fetch({
        url: endpoint.url,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'm3m-webhooks',
          ...webhookHeaders(secrets, message.id, timestamp, message.body),
        },
        body: message.body,
      });
      const ok = response.status >= 200 && response.status < 300;
      return {
        statusCode: response.status,
        durationMs: Math.round(performance.now() - started),
        responseBody: response.body,
        error: ok ? null : `the receiver answered ${response.status}`,
        outcome: ok ? 'succeeded' : 'failed',
      };
    } catch (err) {
      return {
        statusCode: null,
        durationMs: Math.round(performance.now() - started),
        responseBody: '',
        error: (err instanceof Error ? err.message : String(err)).slice(0, 1000),
        outcome: 'failed',
      };
    }
  }

  /**
   * Records the outcome if this sender still holds the claim (and the attempt with it, in one transaction).
   * Returns how long the endpoint has failed every attempt (`null` when it has not, or no attempt was made).
   */
  async #settle(
    message: WebhookMessageDoc,
    update: Partial<WebhookMessageDoc>,
    attempt?: AttemptResult,
  ): Promise<number | null> {
    const { readStore, clock } = this.#o.deps;
    return readStore.transaction(async (session) => {
      const messages = session.collection<WebhookMessageDoc>(WEBHOOK_MESSAGES);
      const current = await messages.get(message.id);
      const now = clock.now();
      if (current?.status !== 'sending' || current.leaseOwner !== this.#owner) return null;
      await messages.patch(message.id, {
        $set: { ...update, leaseOwner: null, updatedAt: now.toISOString() },
      });
      if (!attempt) return null;
      await this.#recordAttempt(session, message, attempt, 'scheduled');
      const health = session.collection<WebhookHealthDoc>(WEBHOOK_ENDPOINT_HEALTH);
      if (attempt.outcome === 'succeeded') {
        await health.upsert({ id: message.webhookId, failingSince: null });
        return null;
      }
      const since = (await health.get(message.webhookId))?.failingSince ?? null;
      if (since === null) {
        await health.upsert({ id: message.webhookId, failingSince: now.getTime() });
        return 0;
      }
      return now.getTime() - since;
    });
  }

  async #recordAttempt(
    session: ReadStoreSession,
    message: WebhookMessageDoc,
    attempt: AttemptResult,
    trigger: WebhookAttemptDoc['trigger'],
  ): Promise<WebhookAttemptDoc> {
    const at = this.#o.deps.clock.now();
    const doc: WebhookAttemptDoc = {
      id: randomUUID(),
      messageId: message.id,
      webhookId: message.webhookId,
      projectId: message.projectId,
      at: at.toISOString(),
      atMs: at.getTime(),
      ...attempt,
      trigger,
    };
    await session.collection<WebhookAttemptDoc>(WEBHOOK_ATTEMPTS).insert(doc);
    return doc;
  }

  #noteError(err: unknown, message: string): void {
    this.#lastError = err instanceof Error ? err.message : String(err);
    this.#lastErrorAt = new Date().toISOString();
    this.#o.logger.error({ err }, message);
  }
}
