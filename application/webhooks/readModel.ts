import type { Doc } from '../ports/readStore.ts';

/**
 * The webhooks' collections in the read store.
 *
 * - `webhooks`: the endpoints as the `webhooks` projection keeps them (secrets as ciphertext only).
 * - `webhook_messages`: the outbox. The `webhook_outbox` consumer writes one message per event and matching
 *   endpoint (with its checkpoint, in one transaction); the sender claims, sends and settles them.
 * - `webhook_attempts`: the delivery log, one document per attempt (written by the sender).
 * - `webhook_endpoint_health`: since when an endpoint has failed every attempt (the sender's).
 * - `webhook_rate_windows`: each endpoint's sends claimed in the current second, over all processes (the sender's).
 */
export const WEBHOOKS = 'webhooks';
export const WEBHOOK_MESSAGES = 'webhook_messages';
export const WEBHOOK_ATTEMPTS = 'webhook_attempts';
export const WEBHOOK_ENDPOINT_HEALTH = 'webhook_endpoint_health';
/**
 * Per endpoint: the second (epoch s) of the current rate window and the sends claimed in it, by every m3m process
 * on the store (written in the claim's transaction, so two processes together stay within `rateLimit`).
 */
export const WEBHOOK_RATE_WINDOWS = 'webhook_rate_windows';

export interface WebhookRateWindowDoc extends Doc {
  second: number;
  count: number;
}

export interface WebhookDoc extends Doc {
  projectId: string;
  url: string;
  description: string;
  eventTypes: string[] | null;
  enabled: boolean;
  /** Why m3m switched it off (`gone`: the receiver answered 410; `failing`: 5 days of failures), or `null`. */
  disabledReason: string | null;
  disabledDetail: string | null;
  rateLimit: number;
  /** The secret's ciphertext (never in clear in the store). */
  encryptedSecret: string;
  /** The secret before the last rotation, valid until `previousSecretExpiresAt`. */
  previousEncryptedSecret: string | null;
  previousSecretExpiresAt: string | null;
  secretRotatedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Its project was deleted: kept only to send `project.deleted`. */
  projectDeleted?: boolean;
}

/**
 * `pending` (due at `dueAt`), `sending` (claimed by `leaseOwner` until `dueAt`), then `succeeded` or `failed`
 * (retries used up, endpoint gone or switched off). Redelivery and recovery make a message `pending` again.
 */
export type MessageStatus = 'pending' | 'sending' | 'succeeded' | 'failed';

export interface WebhookMessageDoc extends Doc {
  webhookId: string;
  projectId: string;
  /** The m3m event it carries; `null` for a test message. */
  eventId: string | null;
  /** The public type (`goal.incremented`, `custom.OrderPlaced`, `webhook.test`). */
  eventType: string;
  /** The exact JSON body that is signed and sent. */
  body: string;
  createdAt: string;
  status: MessageStatus;
  /** Attempts over the message's whole life. */
  attempts: number;
  /** Attempts since it was (re)queued: picks the next delay of the retry schedule. */
  roundAttempts: number;
  /** Epoch ms: when a `pending` message is due, or when a `sending` claim lapses. */
  dueAt: number | null;
  leaseOwner: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  updatedAt: string;
}

export interface WebhookAttemptDoc extends Doc {
  messageId: string;
  webhookId: string;
  projectId: string;
  at: string;
  /** Epoch ms of `at`: the retention sweep's index. */
  atMs: number;
  /** `null` when no answer came (refused address, connection error, timeout). */
  statusCode: number | null;
  durationMs: number;
  /** The first 4 KB of the response body. */
  responseBody: string;
  error: string | null;
  outcome: 'succeeded' | 'failed';
  /** `scheduled` (the queue), `test` (send test event). */
  trigger: 'scheduled' | 'test';
}

export interface WebhookHealthDoc extends Doc {
  /** Epoch ms of the first failure since the last success; `null` while it succeeds. */
  failingSince: number | null;
}
