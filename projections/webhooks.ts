import { findAll } from '../application/ports/findAll.ts';
import { WEBHOOKS, type WebhookDoc } from '../application/webhooks/readModel.ts';
import type { ProjectEvent } from '../domain/project.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookEvent } from '../domain/webhook.ts';
import type { Projection } from './projection.ts';

/** Each project's webhook endpoints; secrets stay the ciphertext the events carry. A deleted project's go with it. */
export const webhooksProjection: Projection = {
  name: 'webhooks',
  version: 1,
  collections: { [WEBHOOKS]: [{ fields: ['projectId', 'createdAt'] }] },
  eventTypes: [...WEBHOOK_EVENT_TYPES, 'ProjectDeleted'],
  async apply(recorded, view) {
    const event = { type: recorded.type, data: recorded.data } as WebhookEvent | ProjectEvent;
    const webhooks = view.collection<WebhookDoc>(WEBHOOKS);
    const at = recorded.metadata.timestamp;
    switch (event.type) {
      case 'WebhookCreated': {
        const { webhookId, ...data } = event.data;
        await webhooks.upsert({
          id: webhookId,
          ...data,
          disabledReason: null,
          disabledDetail: null,
          previousEncryptedSecret: null,
          previousSecretExpiresAt: null,
          secretRotatedAt: null,
          createdAt: at,
          updatedAt: at,
        });
        return;
      }
      case 'WebhookUpdated': {
        const { changes } = event.data;
        // Switched on again by a user: the reason it was switched off no longer holds.
        const reenabled = changes.enabled === true ? { disabledReason: null, disabledDetail: null } : {};
        await webhooks.patch(event.data.webhookId, { $set: { ...changes, ...reenabled, updatedAt: at } });
        return;
      }
      case 'WebhookSecretRotated':
        await webhooks.patch(event.data.webhookId, {
          $set: {
            encryptedSecret: event.data.encryptedSecret,
            previousEncryptedSecret: event.data.previousEncryptedSecret,
            previousSecretExpiresAt: event.data.previousSecretExpiresAt,
            secretRotatedAt: at,
            updatedAt: at,
          },
        });
        return;
      case 'WebhookDisabled':
        await webhooks.patch(event.data.webhookId, {
          $set: {
            enabled: false,
            disabledReason: event.data.reason,
            disabledDetail: event.data.detail,
            updatedAt: at,
          },
        });
        return;
      case 'WebhookDeleted':
        await webhooks.delete(event.data.webhookId);
        return;
      case 'ProjectDeleted':
        // Kept (unreachable through the API, whose project is gone) so that `project.deleted` can still be
        // signed and sent to them; the sender's retention sweep removes them once nothing is pending.
        for (const doc of await findAll(webhooks, { projectId: event.data.projectId })) {
          await webhooks.patch(doc.id, { $set: { projectDeleted: true, updatedAt: at } });
        }
        return;
      default:
        return;
    }
  },
};
