import type { Actor } from '../context.ts';
import type { Page } from '../ports/readStore.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { findVisibleWorker } from '../workers/access.ts';
import { type DeliveryDoc, type DeliveryStatus, WORKER_DELIVERIES } from './deliveries.ts';

/**
 * A worker's event deliveries as the API shows them: what happened to each event it subscribed to, including
 * the ones never invoked and why (`skipped` with `reason` `depth_limit`, `worker_suspended`…).
 */

export interface DeliveryView {
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  reason: string | null;
  attempts: number;
  lastError: string | null;
  lastInvocationId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryQuery {
  status?: DeliveryStatus | undefined;
  limit?: number | undefined;
  cursor?: string | null | undefined;
}

/** Newest first; anyone who sees the worker may read them. */
export async function listDeliveries(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
  query: DeliveryQuery,
): Promise<Page<DeliveryView>> {
  await findVisibleWorker(deps, actor, projectId, workerId);
  const page = await deps.readStore.collection<DeliveryDoc>(WORKER_DELIVERIES).find(
    { workerId, ...(query.status === undefined ? {} : { status: query.status }) },
    {
      sort: { createdAt: -1 },
      limit: Math.min(100, Math.max(1, query.limit ?? 50)),
      cursor: query.cursor ?? null,
    },
  );
  return {
    items: page.items.map((d) => ({
      eventId: d.eventId,
      eventType: d.eventType,
      status: d.status,
      reason: d.reason,
      attempts: d.attempts,
      lastError: d.lastError,
      lastInvocationId: d.lastInvocationId,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
    })),
    nextCursor: page.nextCursor,
  };
}
