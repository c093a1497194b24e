import { type Decider, DomainError } from './decider.ts';

/**
 * A webhook endpoint of a project (issue 15): where the project's public events are delivered, signed per the
 * Standard Webhooks specification. One stream per endpoint (`webhook-<webhookId>`).
 *
 * The signing secret enters the events only as the ciphertext the application made with the installation's
 * secrets key (like a secret environment variable): the decider never sees it in clear. A rotation keeps the
 * previous secret valid until `previousSecretExpiresAt`; deliveries meanwhile carry both signatures.
 */

export const WEBHOOK_DESCRIPTION_MAX = 500;
export const WEBHOOK_URL_MAX = 2000;
export const WEBHOOK_EVENT_TYPES_MAX = 100;
/** Messages per second an endpoint receives at most (per m3m process). */
export const WEBHOOK_RATE_LIMIT_MAX = 1000;
export const WEBHOOK_DEFAULT_RATE_LIMIT = 10;
/** How long the previous secret still signs after a rotation. */
export const WEBHOOK_ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** Why an endpoint was switched off by m3m rather than by a user. */
export type WebhookDisabledReason = 'gone' | 'failing';

export interface WebhookSettings {
  url: string;
  description: string;
  /** The public event types it wants; `null`: all of them. */
  eventTypes: string[] | null;
  enabled: boolean;
  /** Messages per second at most. */
  rateLimit: number;
}

export type WebhookCommand =
  | ({
      type: 'CreateWebhook';
      webhookId: string;
      projectId: string;
      encryptedSecret: string;
    } & WebhookSettings)
  | { type: 'UpdateWebhook'; changes: Partial<WebhookSettings> }
  /** `now` comes in the command: the decider has no clock. */
  | { type: 'RotateWebhookSecret'; encryptedSecret: string; now: string }
  | { type: 'DisableWebhook'; reason: WebhookDisabledReason; detail: string }
  | { type: 'RequestRedelivery'; messageId: string }
  | { type: 'RequestRecovery'; since: string }
  | { type: 'DeleteWebhook' };

export type WebhookEvent =
  | {
      type: 'WebhookCreated';
      data: { webhookId: string; projectId: string; encryptedSecret: string } & WebhookSettings;
    }
  | {
      type: 'WebhookUpdated';
      data: { webhookId: string; projectId: string; changes: Partial<WebhookSettings> };
    }
  | {
      type: 'WebhookSecretRotated';
      data: {
        webhookId: string;
        projectId: string;
        encryptedSecret: string;
        previousEncryptedSecret: string;
        previousSecretExpiresAt: string;
      };
    }
  | {
      type: 'WebhookDisabled';
      data: { webhookId: string; projectId: string; reason: WebhookDisabledReason; detail: string };
    }
  /** One message is to be sent again now (the outbox makes it pending). */
  | { type: 'WebhookRedeliveryRequested'; data: { webhookId: string; projectId: string; messageId: string } }
  /** Every failed message created since `since` is to be sent again now. */
  | { type: 'WebhookRecoveryRequested'; data: { webhookId: string; projectId: string; since: string } }
  | { type: 'WebhookDeleted'; data: { webhookId: string; projectId: string } };

export const WEBHOOK_EVENT_TYPES = [
  'WebhookCreated',
  'WebhookUpdated',
  'WebhookSecretRotated',
  'WebhookDisabled',
  'WebhookRedeliveryRequested',
  'WebhookRecoveryRequested',
  'WebhookDeleted',
] as const satisfies readonly WebhookEvent['type'][];

export interface WebhookState {
  status: 'none' | 'live' | 'deleted';
  webhookId: string | null;
  projectId: string | null;
  settings: WebhookSettings | null;
  encryptedSecret: string | null;
}

export function webhookStream(webhookId: string): string {
  return `webhook-${webhookId}`;
}

/** `http:` is refused unless the installation allows it (development); credentials in the URL never. */
export function validateWebhookUrl(url: string, allowHttp: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DomainError('invalid_webhook_url', 'The URL is not an absolute URL.');
  }
  if (url.length > WEBHOOK_URL_MAX) {
    throw new DomainError('invalid_webhook_url', `The URL is at most ${WEBHOOK_URL_MAX} characters.`);
  }
  if (parsed.protocol !== 'https:' && !(allowHttp && parsed.protocol === 'http:')) {
    throw new DomainError(
      'invalid_webhook_url',
      allowHttp ? 'The URL must be http or https.' : 'The URL must be https.',
    );
  }
  if (parsed.username || parsed.password) {
    throw new DomainError('invalid_webhook_url', 'The URL must not carry credentials.');
  }
}

const live = (state: WebhookState): WebhookState & { settings: WebhookSettings } => {
  if (state.status !== 'live' || !state.settings) {
    throw new DomainError('webhook_not_found', 'The webhook does not exist.');
  }
  return state as WebhookState & { settings: WebhookSettings };
};

export const webhook: Decider<WebhookCommand, WebhookState, WebhookEvent> = {
  initialState: { status: 'none', webhookId: null, projectId: null, settings: null, encryptedSecret: null },

  decide(command, state) {
    if (command.type === 'CreateWebhook') {
      if (state.status !== 'none') throw new DomainError('webhook_exists', 'The webhook already exists.');
      const { type: _t, ...data } = command;
      return [{ type: 'WebhookCreated', data }];
    }
    const current = live(state);
    const ids = { webhookId: current.webhookId!, projectId: current.projectId! };
    switch (command.type) {
      case 'UpdateWebhook': {
        const changes: Partial<WebhookSettings> = {};
        for (const [key, value] of Object.entries(command.changes) as [keyof WebhookSettings, unknown][]) {
          if (value === undefined) continue;
          if (JSON.stringify(value) === JSON.stringify(current.settings[key])) continue;
          (changes as Record<string, unknown>)[key] = value;
        }
        if (Object.keys(changes).length === 0) return [];
        return [{ type: 'WebhookUpdated', data: { ...ids, changes } }];
      }
      case 'RotateWebhookSecret':
        return [
          {
            type: 'WebhookSecretRotated',
            data: {
              ...ids,
              encryptedSecret: command.encryptedSecret,
              previousEncryptedSecret: current.encryptedSecret!,
              previousSecretExpiresAt: new Date(
                Date.parse(command.now) + WEBHOOK_ROTATION_OVERLAP_MS,
              ).toISOString(),
            },
          },
        ];
      case 'DisableWebhook':
        if (!current.settings.enabled) return [];
        return [
          { type: 'WebhookDisabled', data: { ...ids, reason: command.reason, detail: command.detail } },
        ];
      case 'RequestRedelivery':
        return [{ type: 'WebhookRedeliveryRequested', data: { ...ids, messageId: command.messageId } }];
      case 'RequestRecovery':
        return [{ type: 'WebhookRecoveryRequested', data: { ...ids, since: command.since } }];
      case 'DeleteWebhook':
        return [{ type: 'WebhookDeleted', data: ids }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'WebhookCreated': {
        const { webhookId, projectId, encryptedSecret, ...settings } = event.data;
        return { status: 'live', webhookId, projectId, settings, encryptedSecret };
      }
      case 'WebhookUpdated':
        return { ...state, settings: { ...state.settings!, ...event.data.changes } };
      case 'WebhookSecretRotated':
        return { ...state, encryptedSecret: event.data.encryptedSecret };
      case 'WebhookDisabled':
        return { ...state, settings: { ...state.settings!, enabled: false } };
      case 'WebhookDeleted':
        return { ...state, status: 'deleted' };
      default:
        return state;
    }
  },
};
