import { createHash } from 'node:crypto';
import type { RecordedEvent } from '../application/ports/eventStore.ts';
import { findAll } from '../application/ports/findAll.ts';
import type { Doc } from '../application/ports/readStore.ts';
import { CUSTOM_EVENT_STREAM_PREFIX } from '../application/runtime/customEvents.ts';
import { type GoalFacts, publicMessageOf } from '../application/webhooks/publicEvents.ts';
import { WEBHOOK_MESSAGES, type WebhookMessageDoc } from '../application/webhooks/readModel.ts';
import type { GoalEvent, GoalIncremented } from '../domain/goal.ts';
import { isOn, type ModuleSetting, type ProjectModulesEvent } from '../domain/projectModules.ts';
import type { WebhookEvent } from '../domain/webhook.ts';
import type { Projection } from './projection.ts';

/**
 * The webhook outbox (issue 15): a consumer of the event feed that queues one message per public event and
 * matching endpoint in `webhook_messages`, in the same read-store transaction as its checkpoint, so a crash
 * neither loses nor doubles a message. What it needs to decide is kept in collections of its own, from the
 * events alone (no other read model, which may be at another position): the endpoints' subscriptions, whether
 * the `webhooks` module is on in each project (at the event's time, so a trial ends when it ends), and each
 * goal's slug and total for `goal.incremented`.
 *
 * A message's id is derived from the endpoint and the event (`msg_…`): it is the `webhook-id` a receiver
 * deduplicates on, and an event seen twice queues nothing twice. Redelivery and recovery are events too
 * (recorded for the audit); applying them makes settled messages pending again.
 *
 * It runs in a runner of its own, not among the read models that `m3m replay` rebuilds: the sender records
 * each message's progress on it, which a rebuild would lose (and so send everything again).
 */

export const OUTBOX_ENDPOINTS = 'webhook_outbox_endpoints';
export const OUTBOX_MODULES = 'webhook_outbox_modules';
export const OUTBOX_GOALS = 'webhook_outbox_goals';

interface EndpointDoc extends Doc {
  projectId: string;
  eventTypes: string[] | null;
  enabled: boolean;
}
type ModuleDoc = Doc & ModuleSetting;
interface GoalDoc extends Doc, GoalFacts {}

export function messageId(webhookId: string, eventId: string): string {
  return `msg_${createHash('sha256').update(`${webhookId}:${eventId}`).digest('base64url').slice(0, 27)}`;
}

/** The outbox's projection name: `m3m replay` never rebuilds it (that would send history again). */
export const WEBHOOK_OUTBOX = 'webhook_outbox';

export function webhookOutboxProjection(onQueued: () => void = () => {}): Projection {
  return {
    name: WEBHOOK_OUTBOX,
    version: 1,
    collections: {
      [OUTBOX_ENDPOINTS]: [{ fields: ['projectId'] }],
      [OUTBOX_MODULES]: [],
      [OUTBOX_GOALS]: [],
      [WEBHOOK_MESSAGES]: [
        { fields: ['status', 'dueAt'] },
        { fields: ['webhookId', 'createdAt'] },
        { fields: ['webhookId', 'status', 'createdAt'] },
      ],
    },
    // No type filter: custom events (any type, in `project-events-*` streams) are public too.
    apply: (recorded, view) => applyOne(recorded, view, onQueued),
    /**
     * The increments that queue nothing (the project's `webhooks` module is off then, or no endpoint of it takes
     * `goal.incremented`) only add to the goal's total: those are summed per goal and written once, before the
     * next event that could read the total or change what is subscribed (every other event), and at the end.
     * Everything else is applied as `apply` does, in order. The common case, increments nobody listens to, then
     * costs two reads per page per project instead of five statements per increment.
     */
    async applyPage(events, view) {
      const quiet = new QuietIncrements(view);
      for (const recorded of events) {
        if (await quiet.absorb(recorded)) continue;
        await quiet.flush();
        await applyOne(recorded, view, onQueued);
      }
      await quiet.flush();
    },
  };
}

type View = Parameters<Projection['apply']>[1];

/**
 * Increments that make no message, summed per goal until `flush`. What decides "no message" (the module's
 * setting, the project's endpoints) is read once per project and kept until `flush`: only events other than
 * increments change it, and each of those is preceded by a `flush`.
 */
class QuietIncrements {
  readonly #view: View;
  readonly #pending = new Map<string, number>();
  readonly #settings = new Map<string, ModuleDoc | null>();
  readonly #listens = new Map<string, boolean>();

  constructor(view: View) {
    this.#view = view;
  }

  /** `true` when `recorded` is an increment that queues nothing: its `by` is then pending. */
  async absorb(recorded: RecordedEvent): Promise<boolean> {
    if (recorded.type !== 'GoalIncremented' || recorded.streamId.startsWith(CUSTOM_EVENT_STREAM_PREFIX))
      return false;
    const { goalId, by, projectId } = (recorded as unknown as GoalIncremented).data;
    if (projectId !== null) {
      let setting = this.#settings.get(projectId);
      if (setting === undefined) {
        setting = await this.#view.collection<ModuleDoc>(OUTBOX_MODULES).get(projectId);
        this.#settings.set(projectId, setting);
      }
      if (isOn(setting, new Date(recorded.metadata.timestamp))) {
        let listens = this.#listens.get(projectId);
        if (listens === undefined) {
          const endpoints = await findAll(this.#view.collection<EndpointDoc>(OUTBOX_ENDPOINTS), {
            projectId,
          });
          listens = endpoints.some(
            (e) => e.enabled && (e.eventTypes === null || e.eventTypes.includes('goal.incremented')),
          );
          this.#listens.set(projectId, listens);
        }
        if (listens) return false;
      }
    }
    this.#pending.set(goalId, (this.#pending.get(goalId) ?? 0) + by);
    return true;
  }

  /** Writes the pending sums (a goal the outbox does not know stays unknown, as `patch` leaves it). */
  async flush(): Promise<void> {
    if (this.#pending.size > 0) {
      const goals = this.#view.collection<GoalDoc>(OUTBOX_GOALS);
      for (const [goalId, by] of this.#pending) await goals.patch(goalId, { $inc: { total: by } });
      this.#pending.clear();
    }
    this.#settings.clear();
    this.#listens.clear();
  }
}

async function applyOne(recorded: RecordedEvent, view: View, onQueued: () => void): Promise<void> {
  const endpoints = view.collection<EndpointDoc>(OUTBOX_ENDPOINTS);
  const messages = view.collection<WebhookMessageDoc>(WEBHOOK_MESSAGES);
  const at = recorded.metadata.timestamp;
  const event = { type: recorded.type, data: recorded.data } as
    | WebhookEvent
    | ProjectModulesEvent
    | GoalEvent
    | GoalIncremented;
  let goal: GoalFacts | null = null;
  switch (event.type) {
    case 'WebhookCreated':
      await endpoints.upsert({
        id: event.data.webhookId,
        projectId: event.data.projectId,
        eventTypes: event.data.eventTypes,
        enabled: event.data.enabled,
      });
      return;
    case 'WebhookUpdated': {
      const { eventTypes, enabled } = event.data.changes;
      const set = {
        ...(eventTypes !== undefined ? { eventTypes } : {}),
        ...(enabled !== undefined ? { enabled } : {}),
      };
      if (Object.keys(set).length > 0) await endpoints.patch(event.data.webhookId, { $set: set });
      return;
    }
    case 'WebhookDisabled':
      await endpoints.patch(event.data.webhookId, { $set: { enabled: false } });
      return;
    case 'WebhookDeleted':
      await endpoints.delete(event.data.webhookId);
      await messages.deleteMany({ webhookId: event.data.webhookId });
      return;
    case 'WebhookRedeliveryRequested': {
      const message = await messages.get(event.data.messageId);
      if (message?.webhookId === event.data.webhookId) await requeue(messages, message, at);
      onQueued();
      return;
    }
    case 'WebhookRecoveryRequested': {
      const failed = await findAll(messages, {
        webhookId: event.data.webhookId,
        status: 'failed',
        createdAt: { $gte: new Date(event.data.since).toISOString() },
      });
      for (const message of failed) await requeue(messages, message, at);
      onQueued();
      return;
    }
    case 'ProjectModuleEnabled':
    case 'ProjectModuleDisabled':
    case 'ProjectModuleTrialStarted':
      if (event.data.moduleCode === 'webhooks') {
        await view.collection<ModuleDoc>(OUTBOX_MODULES).upsert({
          id: event.data.projectId,
          status:
            event.type === 'ProjectModuleEnabled'
              ? 'active'
              : event.type === 'ProjectModuleDisabled'
                ? 'disabled'
                : 'trial',
          trialEndsAt: event.type === 'ProjectModuleTrialStarted' ? event.data.trialEndsAt : null,
        });
      }
      break;
    case 'GoalDefined':
      await view
        .collection<GoalDoc>(OUTBOX_GOALS)
        .upsert({ id: event.data.goalId, slug: event.data.slug, total: 0 });
      break;
    case 'GoalDeleted':
      await view.collection<GoalDoc>(OUTBOX_GOALS).delete(event.data.goalId);
      return;
    case 'GoalIncremented': {
      const goals = view.collection<GoalDoc>(OUTBOX_GOALS);
      await goals.patch(event.data.goalId, { $inc: { total: event.data.by } });
      goal = await goals.get(event.data.goalId);
      break;
    }
    default:
      break;
  }
  const enqueue = async () => {
    const made = publicMessageOf(recorded, goal);
    if (!made) return;
    const setting = await view.collection<ModuleDoc>(OUTBOX_MODULES).get(made.projectId);
    if (!isOn(setting, new Date(at))) return;
    const subscribed = (await findAll(endpoints, { projectId: made.projectId })).filter(
      (e) => e.enabled && (e.eventTypes === null || e.eventTypes.includes(made.message.type)),
    );
    if (subscribed.length === 0) return;
    const body = JSON.stringify(made.message);
    for (const endpoint of subscribed) {
      const id = messageId(endpoint.id, recorded.id);
      if (await messages.get(id)) continue;
      await messages.insert({
        id,
        webhookId: endpoint.id,
        projectId: made.projectId,
        eventId: recorded.id,
        eventType: made.message.type,
        body,
        createdAt: at,
        status: 'pending',
        attempts: 0,
        roundAttempts: 0,
        dueAt: Date.parse(at),
        leaseOwner: null,
        lastAttemptAt: null,
        lastStatusCode: null,
        lastError: null,
        updatedAt: at,
      });
    }
    onQueued();
  };
  await enqueue();
  // The project's last message (project.deleted) is queued above; nothing is kept to route its events by.
  if (recorded.type === 'ProjectDeleted') {
    const { projectId } = recorded.data as { projectId: string };
    await view.collection<ModuleDoc>(OUTBOX_MODULES).delete(projectId);
    await endpoints.deleteMany({ projectId });
  }
}

/** A settled message becomes pending again, due now, with a fresh round of the retry schedule. */
async function requeue(
  messages: ReturnType<Parameters<Projection['apply']>[1]['collection']>,
  message: WebhookMessageDoc,
  at: string,
): Promise<void> {
  if (message.status !== 'succeeded' && message.status !== 'failed') return;
  await messages.patch(message.id, {
    $set: { status: 'pending', roundAttempts: 0, dueAt: Date.parse(at), leaseOwner: null, updatedAt: at },
  });
}
