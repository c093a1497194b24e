import type { Logger } from 'pino';
import type { EventSchemaRegistry } from '../application/commands/eventSchemas.ts';
import type { ModuleCatalog } from '../application/modules/catalog.ts';
import type { EnvironmentDeps } from '../application/projects/deps.ts';
import type { ClaimOwners } from '../application/runtime/deliveryQueue.ts';
import type { WebhookDeps } from '../application/webhooks/deps.ts';
import { WebhookSender, type WebhookSenderOptions } from '../application/webhooks/sender.ts';
import type { Runner } from '../projections/projectionRunner.ts';
import type { Config } from './config.ts';
import { outboundFetch } from './net/outboundFetch.ts';

/** The webhooks of one m3m process: the outbox consumer and the sender. `start()` them after the projections. */
export interface Webhooks {
  deps: WebhookDeps;
  /** Follows the event feed into the outbox (`webhook_outbox`), with its own checkpoint. */
  outbox: Runner;
  sender: WebhookSender;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Tests shorten the sender's polling and leases. */
export type WebhookOptions = Partial<Pick<WebhookSenderOptions, 'pollMs' | 'leaseMs' | 'failingDisableMs'>>;

/** A send's time limit (the 15 s) and how much of a response the delivery log keeps. */
const SEND_TIMEOUT_MS = 15_000;
const RESPONSE_KEPT_BYTES = 4096;

export function openWebhooks(parts: {
  config: Config;
  logger: Logger;
  projects: EnvironmentDeps;
  schemas: EventSchemaRegistry;
  modules: ModuleCatalog;
  /**
   * The outbox's runner, a consumer of the process's one event feed, given what it calls when it queued a
   * message (here or in the projection thread, ADR 30).
   */
  outbox: (nudge: () => void) => Runner;
  /** The process lease: the sender's claims carry its boot id, a gone process's claims are taken over. */
  owners?: ClaimOwners;
  options?: WebhookOptions;
}): Webhooks {
  const { config, logger, projects, modules } = parts;
  const deps: WebhookDeps = { ...projects, modules, allowHttp: config.webhooks.allowHttp };
  let sender: WebhookSender | null = null;
  const outbox = parts.outbox(() => sender?.nudge());
  sender = new WebhookSender({
    deps,
    // The same guard as the workers' http.fetch: M3M_ALLOW_PRIVATE_FETCH=true lets both reach private targets.
    fetcher: outboundFetch({
      allowPrivate: config.workers.allowPrivateFetch,
      timeoutMs: SEND_TIMEOUT_MS,
      maxResponseBytes: RESPONSE_KEPT_BYTES,
      truncateResponse: true,
      label: 'webhook delivery',
    }),
    logger: logger.child({ component: 'webhooks' }),
    retrySchedule: config.webhooks.retrySchedule,
    retentionDays: config.workers.logRetentionDays,
    ...(parts.owners ? { owners: parts.owners } : {}),
    ...parts.options,
  });
  const theSender = sender;
  return {
    deps,
    outbox,
    sender: theSender,
    async start() {
      await outbox.start();
      await theSender.start();
    },
    async close() {
      await outbox.stop();
      await theSender.stop();
    },
  };
}
