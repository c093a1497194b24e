import type { RecordedEvent } from '../ports/eventStore.ts';
import type { Doc } from '../ports/readStore.ts';

/**
 * A delivery is one event for one worker: the document `worker_deliveries/<workerId>:<eventId>` (the event
 * id is the idempotency key). `in_flight` (being invoked, claimed until `dueAt`), the durable queue's `queued`
 * (a retry, due at `dueAt`) and `deferred` (waiting since `dueAt` because its worker had too much in memory),
 * and the final `succeeded`, `failed` (after `maxAttempts`) and `skipped` (depth limit; worker disabled,
 * undeployed or deleted meanwhile). A final delivery is never invoked again. An `in_flight` claim names its owning
 * process (`owner`): another process takes it over only once that process is gone.
 */

export const WORKER_DELIVERIES = 'worker_deliveries';

export const DELIVERY_STATUSES = [
  'in_flight',
  'queued',
  'deferred',
  'succeeded',
  'failed',
  'skipped',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** The durable queue: deliveries that wait in the read store rather than in a lane in memory. */
export const DURABLE: DeliveryStatus[] = ['queued', 'deferred'];

export interface DeliveryDoc extends Doc {
  workerId: string;
  projectId: string;
  eventId: string;
  eventType: string;
  /** The event's `$all` position: orders the durable queue. Not a way to read it again (see `streamId`). */
  position: number;
  /**
   * Where the event is read again for a retry: its stream and revision. A position cannot be computed on
   * (KurrentDB's are byte offsets), so "the position before it" is no way back to the event. Absent on
   * deliveries recorded before m3m kept these; `deliveryEventRefs.ts` adds them at start.
   */
  streamId?: string;
  revision?: number;
  status: DeliveryStatus;
  /** Invocations made so far. */
  attempts: number;
  lastError: string | null;
  lastInvocationId: string | null;
  /** Why a delivery was skipped: `depth_limit`, `worker_disabled`, `worker_not_deployed`, `worker_not_found`. */
  reason: string | null;
  /**
   * Epoch ms. `queued`: when it is due; `deferred`: since when it waits; `in_flight`: when the claim lapses
   * and another run may take it over.
   */
  dueAt: number | null;
  /**
   * `in_flight`: the boot id of the process that claimed it (`../processLease.ts`). The claim holds while that
   * process lives, whatever `dueAt` says; absent on claims made before m3m kept owners (those lapse at `dueAt`).
   */
  owner?: string | null;
  /** The boot id of a process that died holding this delivery's claim, when another took it over. */
  takenOverFrom?: string | null;
  createdAt: string;
  updatedAt: string;
}

export const deliveryId = (workerId: string, eventId: string) => `${workerId}:${eventId}`;

/** What `onEvent` receives. */
export interface EventInput {
  id: string;
  type: string;
  position: number;
  data: unknown;
  metadata: {
    timestamp: string;
    source: string;
    correlationId: string;
    causationId: string | null;
    /** How many worker invocations led to this event (0: none); see `EventMetadata.depth`. */
    depth: number;
  };
}

export function eventInput(event: RecordedEvent): EventInput {
  return {
    id: event.id,
    type: event.type,
    position: event.position,
    data: event.data,
    metadata: {
      timestamp: event.metadata.timestamp,
      source: event.metadata.source,
      correlationId: event.metadata.correlationId,
      causationId: event.metadata.causationId,
      depth: depthOf(event),
    },
  };
}

/**
 * The causation depth of an event (`metadata.depth`, which every event a worker causes carries); custom
 * events appended before m3m kept it there have it as `data.depth`. 0 for events no worker caused.
 */
export function depthOf(event: RecordedEvent): number {
  const positive = (n: unknown) => (typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 0);
  return positive(event.metadata.depth) || positive((event.data as { depth?: unknown } | null)?.depth);
}
