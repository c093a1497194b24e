import { randomUUID } from 'node:crypto';
import { isOn } from '../../domain/projectModules.ts';
import { eventMetadata, storedMetadata } from '../context.ts';
import { PROJECT_MODULES, type ProjectModuleDoc, projectModuleId } from '../modules/readModel.ts';
import type { RuntimeDeps } from './deps.ts';
import type { InvocationRecord } from './invocations.ts';

/**
 * `WorkerInvocationFailed`: the one fact about an invocation that is an event. Invocation records live in the
 * read store (retained `M3M_LOG_RETENTION_DAYS`, swept, not replayed); the webhooks outbox decides from events
 * alone, so a failed invocation is also appended, as this small event, to the project's stream
 * `worker-invocations-<projectId>` — only while the project's `webhooks` module is on (nobody else reads it,
 * and a worker failing at a high rate must not grow the event log for nothing).
 *
 * It carries identifiers and the outcome, never the error text or logs: events are kept for ever and a
 * worker's error message may contain anything the worker had (a secret included). The record, with its error,
 * is `GET /api/v1/projects/:id/invocations/:invocationId` while it is retained.
 *
 * Its depth (metadata and data) is the triggering event's depth + 1, as for custom events, so a worker that
 * listens to `WorkerInvocationFailed` and fails itself stops at `M3M_EVENT_DEPTH_LIMIT`.
 */

export const INVOCATION_EVENTS_STREAM_PREFIX = 'worker-invocations-';
export const WORKER_INVOCATION_FAILED = 'WorkerInvocationFailed';

export function invocationEventsStream(projectId: string): string {
  return `${INVOCATION_EVENTS_STREAM_PREFIX}${projectId}`;
}

export interface WorkerInvocationFailedData {
  projectId: string;
  workerId: string;
  workerSlug: string;
  invocationId: string;
  version: number;
  handler: string;
  trigger: string;
  /** `event` triggers: the triggering event's id. */
  eventId: string | null;
  /** `schedule` triggers: the tick (ISO 8601). */
  scheduledAt: string | null;
  /** Every outcome but `ok`: `error`, `timeout`, `cpu_limit`, `memory_limit`, `crashed`. */
  outcome: string;
  startedAt: string;
  durationMs: number;
  depth: number;
}

/**
 * Appends `WorkerInvocationFailed` for a failed invocation when the project's webhooks module is on. Never
 * throws: the worker ran and its record is stored; a lost event is logged, not turned into the caller's error.
 */
export async function recordInvocationFailed(
  deps: Pick<RuntimeDeps, 'eventStore' | 'readStore' | 'clock' | 'settings' | 'log'>,
  record: InvocationRecord,
  context: { workerSlug: string; eventDepth: number; correlationId: string },
): Promise<void> {
  if (record.outcome === 'ok') return;
  const depth = context.eventDepth + 1;
  if (depth > deps.settings.eventDepthLimit) return;
  try {
    const now = deps.clock.now();
    const setting = await deps.readStore
      .collection<ProjectModuleDoc>(PROJECT_MODULES)
      .get(projectModuleId(record.projectId, 'webhooks'));
    if (!isOn(setting, now)) return;
    const data: WorkerInvocationFailedData = {
      projectId: record.projectId,
      workerId: record.workerId,
      workerSlug: context.workerSlug,
      invocationId: record.id,
      version: record.version,
      handler: record.handler,
      trigger: record.trigger,
      eventId: record.eventId,
      scheduledAt: record.scheduledAt,
      outcome: record.outcome,
      startedAt: record.startedAt,
      durationMs: record.durationMs,
      depth,
    };
    await deps.eventStore.append(
      invocationEventsStream(record.projectId),
      [
        {
          id: randomUUID(),
          type: WORKER_INVOCATION_FAILED,
          data,
          metadata: storedMetadata(
            eventMetadata(null, {
              source: `worker:${record.workerId}`,
              correlationId: context.correlationId,
              causationId: record.eventId,
              depth,
            }),
            1,
            now,
          ),
        },
      ],
      { expectedRevision: 'any' },
    );
  } catch (err) {
    deps.log?.('error', { err, invocationId: record.id }, 'could not record a failed invocation as an event');
  }
}
