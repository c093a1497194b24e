import type { RecordedEvent } from '../ports/eventStore.ts';
import { CUSTOM_EVENT_STREAM_PREFIX } from '../runtime/customEvents.ts';

/**
 * The public event types webhooks carry, and how m3m's internal events become them. Only these are ever sent:
 * internal events (users, keys, environment, webhooks themselves…) and internal fields (hashes, ciphertexts,
 * worker sources) never are. Each payload is version 1 of its type; a change that is not additive gets a new
 * type name rather than a new shape under the old one. The schemas are in the OpenAPI document's `webhooks`.
 */

export const PUBLIC_EVENT_TYPES = [
  'project.updated',
  'project.deleted',
  'goal.created',
  'goal.incremented',
  'module.enabled',
  'module.disabled',
  'worker.deployed',
  'worker.invocation.failed',
] as const;
export type PublicEventType = (typeof PUBLIC_EVENT_TYPES)[number];

/** "Send test event": sent to one endpoint on request, whatever it subscribed to. */
export const TEST_EVENT_TYPE = 'webhook.test';
/** Events emitted by workers (`m3m.events.emit('OrderPlaced', …)`) are `custom.OrderPlaced`. */
export const CUSTOM_TYPE_PREFIX = 'custom.';
const CUSTOM_TYPE = /^custom\.[A-Z][A-Za-z0-9]{0,63}$/;

/** Whether an endpoint may subscribe to this type. */
export function isSubscribableType(type: string): boolean {
  return (PUBLIC_EVENT_TYPES as readonly string[]).includes(type) || CUSTOM_TYPE.test(type);
}

/** The internal event types the outbox reads to make public ones. */
export const SOURCE_EVENT_TYPES = [
  'ProjectRenamed',
  'ProjectRecolored',
  'ProjectSlugChanged',
  'ProjectDeleted',
  'GoalDefined',
  'GoalIncremented',
  'ProjectModuleEnabled',
  'ProjectModuleDisabled',
  'WorkerDeployed',
  'WorkerInvocationFailed',
] as const;

/** The JSON body of every message: `{ type, timestamp, data }`. */
export interface PublicMessage {
  type: string;
  /** When the event happened (ISO 8601, UTC). */
  timestamp: string;
  data: Record<string, unknown>;
}

/** What the outbox knows about a goal when it is incremented: its slug and its total after the increment. */
export interface GoalFacts {
  slug: string;
  total: number;
}

/**
 * The public message an event makes, with the project it belongs to; `null` for events that are not public.
 * `goal` is what the outbox knows of the goal of a `GoalIncremented` (`null`: not a project goal it knows).
 */
export function publicMessageOf(
  event: RecordedEvent,
  goal: GoalFacts | null,
): { projectId: string; message: PublicMessage } | null {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const projectId = typeof data.projectId === 'string' ? data.projectId : null;
  if (!projectId) return null;
  const timestamp = event.metadata.timestamp;
  const make = (type: string, payload: Record<string, unknown>) => ({
    projectId,
    message: { type, timestamp, data: { projectId, ...payload } },
  });
  if (event.streamId.startsWith(CUSTOM_EVENT_STREAM_PREFIX)) {
    return make(`${CUSTOM_TYPE_PREFIX}${event.type}`, { payload: data.payload ?? null });
  }
  switch (event.type) {
    case 'ProjectRenamed':
      return make('project.updated', { name: data.name });
    case 'ProjectRecolored':
      return make('project.updated', { color: data.color });
    case 'ProjectSlugChanged':
      return make('project.updated', { slug: data.to });
    case 'ProjectDeleted':
      return make('project.deleted', { slug: data.slug });
    case 'GoalDefined':
      return make('goal.created', {
        goalId: data.goalId,
        slug: data.slug,
        name: data.name,
        goalType: data.goalType,
      });
    case 'GoalIncremented':
      if (!goal) return null;
      return make('goal.incremented', {
        goalId: data.goalId,
        slug: goal.slug,
        by: data.by,
        day: data.day,
        total: goal.total,
        source: event.metadata.source,
      });
    case 'ProjectModuleEnabled':
      return make('module.enabled', { moduleCode: data.moduleCode });
    case 'ProjectModuleDisabled':
      return make('module.disabled', { moduleCode: data.moduleCode });
    case 'WorkerDeployed':
      return make('worker.deployed', {
        workerId: data.workerId,
        version: data.version,
        language: data.language ?? 'javascript',
      });
    case 'WorkerInvocationFailed':
      // No error text: the event has none (it may hold a worker's secrets); the record has it while retained.
      return make('worker.invocation.failed', {
        workerId: data.workerId,
        workerSlug: data.workerSlug,
        invocationId: data.invocationId,
        version: data.version,
        handler: data.handler,
        trigger: data.trigger,
        eventId: data.eventId ?? null,
        scheduledAt: data.scheduledAt ?? null,
        outcome: data.outcome,
        startedAt: data.startedAt,
        durationMs: data.durationMs,
      });
    default:
      return null;
  }
}
