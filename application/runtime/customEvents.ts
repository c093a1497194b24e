import { randomUUID } from 'node:crypto';
import { DATA_MODEL_EVENT_TYPES } from '../../domain/dataModel.ts';
import { ENVIRONMENT_EVENT_TYPES } from '../../domain/environment.ts';
import { GOAL_EVENT_TYPES } from '../../domain/goal.ts';
import { LICENSE_EVENT_TYPES } from '../../domain/licenses.ts';
import { PROJECT_EVENT_TYPES } from '../../domain/project.ts';
import { PROJECT_MODULE_EVENT_TYPES } from '../../domain/projectModules.ts';
import { SLUG_RESERVATION_EVENT_TYPES } from '../../domain/slugReservation.ts';
import { USER_EVENT_TYPES } from '../../domain/user.ts';
import { WEBHOOK_EVENT_TYPES } from '../../domain/webhook.ts';
import { EVENT_TYPE_PATTERN, WORKER_EVENT_TYPES } from '../../domain/worker.ts';
import { eventMetadata, storedMetadata } from '../context.ts';
import type { EventStore } from '../ports/eventStore.ts';
import { WORKER_INVOCATION_FAILED } from './invocationFailed.ts';

/**
 * Custom events (`m3m.events.emit(type, data)`): appended to the project's stream `project-events-<projectId>`
 * with the worker's type and the data `{ projectId, payload, depth }`. `depth` (also in the metadata, like every
 * event a worker causes) counts the chain of worker-caused events that led here (an event emitted by a worker
 * that no event triggered has depth 1; one emitted while handling an event of depth n has n + 1). The runtime
 * refuses to emit beyond `M3M_EVENT_DEPTH_LIMIT`, which cuts worker → event → worker loops; the runtime
 * subscriber passes the depth on as `eventDepth`.
 */

export const CUSTOM_EVENT_STREAM_PREFIX = 'project-events-';
export const MAX_CUSTOM_EVENT_BYTES = 64 * 1024;

export function projectEventsStream(projectId: string): string {
  return `${CUSTOM_EVENT_STREAM_PREFIX}${projectId}`;
}

export interface CustomEventData {
  projectId: string;
  payload: unknown;
  depth: number;
}

/** The event types m3m records itself; the projections react to them by type, so a worker may not emit them. */
export const BUILT_IN_EVENT_TYPES: ReadonlySet<string> = new Set<string>([
  ...USER_EVENT_TYPES,
  ...PROJECT_EVENT_TYPES,
  ...GOAL_EVENT_TYPES,
  'GoalIncremented',
  ...ENVIRONMENT_EVENT_TYPES,
  ...SLUG_RESERVATION_EVENT_TYPES,
  ...PROJECT_MODULE_EVENT_TYPES,
  ...LICENSE_EVENT_TYPES,
  ...WORKER_EVENT_TYPES,
  ...DATA_MODEL_EVENT_TYPES,
  ...WEBHOOK_EVENT_TYPES,
  WORKER_INVOCATION_FAILED,
]);

export interface EmitContext {
  projectId: string;
  workerId: string;
  /** The event that triggered the invocation, if any. */
  causationId: string | null;
  correlationId: string;
  /** The causation depth of the triggering event; 0 when no worker caused it. */
  eventDepth: number;
  depthLimit: number;
  reserved: ReadonlySet<string>;
  now: Date;
  /** Checks everything, appends nothing (`position` 0): a worker's dry run. */
  dryRun?: boolean;
}

export async function emitCustomEvent(
  eventStore: EventStore,
  context: EmitContext,
  type: unknown,
  payload: unknown,
): Promise<{ eventId: string; position: number }> {
  if (typeof type !== 'string' || !EVENT_TYPE_PATTERN.test(type)) {
    throw new TypeError(
      'an event type is 1–64 letters and digits starting with an upper-case letter, e.g. "OrderPlaced"',
    );
  }
  if (context.reserved.has(type)) {
    throw new TypeError(`"${type}" is one of m3m's own event types; choose another name`);
  }
  const json = JSON.stringify(payload === undefined ? null : payload);
  if (Buffer.byteLength(json, 'utf8') > MAX_CUSTOM_EVENT_BYTES) {
    throw new RangeError(`event data is at most ${MAX_CUSTOM_EVENT_BYTES} bytes of JSON`);
  }
  const depth = context.eventDepth + 1;
  if (depth > context.depthLimit) {
    throw new RangeError(
      `event chain too deep: this event would be at depth ${depth}, the limit is ${context.depthLimit} (M3M_EVENT_DEPTH_LIMIT)`,
    );
  }
  const eventId = randomUUID();
  const data: CustomEventData = { projectId: context.projectId, payload: JSON.parse(json), depth };
  if (context.dryRun) return { eventId, position: 0 };
  const { position } = await eventStore.append(
    projectEventsStream(context.projectId),
    [
      {
        id: eventId,
        type,
        data,
        metadata: storedMetadata(
          eventMetadata(null, {
            source: `worker:${context.workerId}`,
            correlationId: context.correlationId,
            causationId: context.causationId,
            depth,
          }),
          1,
          context.now,
        ),
      },
    ],
    { expectedRevision: 'any' },
  );
  return { eventId, position };
}
