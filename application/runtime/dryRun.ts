import { randomUUID } from 'node:crypto';
import { effectiveLimits, languageOf, type WorkerLanguage } from '../../domain/worker.ts';
import type { Actor } from '../context.ts';
import { refuse } from '../errors.ts';
import type { EventStore, RecordedEvent } from '../ports/eventStore.ts';
import type { InvocationErrorInfo, InvocationOutcome, LogLine } from '../ports/workerSandbox.ts';
import { findManageableWorker } from '../workers/access.ts';
import { SyntaxRefusal } from '../workers/commands.ts';
import {
  WORKER_DRAFTS,
  WORKER_INVOCATIONS,
  WORKER_VERSIONS,
  type WorkerDraftDoc,
  type WorkerVersionDoc,
  workerVersionId,
} from '../workers/readModel.ts';
import { depthOf, eventInput } from './deliveries.ts';
import type { RuntimeDeps } from './deps.ts';
import type { CannedResponse, DryRunEffect } from './dryRunEffects.ts';
import { buildHostApi } from './hostApi.ts';
import type { InvocationRecord } from './invocations.ts';

/**
 * The dry run: a worker's source (by default its draft, not yet deployed) run against past events of its
 * project, each in the sandbox with the worker's limits, with every side effect captured instead of made
 * (`dryRunEffects.ts`). Nothing is appended, written or sent, and no invocation record is kept. Each result is
 * set beside what the deployed version recorded for the same event, where a record is still kept.
 */

/** Events one dry run takes at most. */
export const MAX_DRY_RUN_EVENTS = 50;
/** Events of the chosen types it reads from `$all` at most while looking for the project's. */
export const MAX_SCANNED_EVENTS = 100_000;
const PAGE = 1000;

export type EventRange = { last: number } | { from: string; to: string };

export interface DryRunRequest {
  /** Default: the saved draft, else the active version's source. */
  source?: string | undefined;
  /** Default: the worker's language. */
  language?: WorkerLanguage | undefined;
  events: EventRange;
  /** Default: the event types the worker listens to. */
  eventTypes?: string[] | undefined;
  httpResponses?: CannedResponse[] | undefined;
}

export interface DryRunEventResult {
  event: { id: string; type: string; position: number; timestamp: string; data: unknown };
  outcome: InvocationOutcome;
  durationMs: number;
  logs: LogLine[];
  error: InvocationErrorInfo | null;
  result?: unknown;
  effects: DryRunEffect[];
  /** What the deployed version did with this event, while its record is kept; `null` otherwise. */
  deployed: {
    invocationId: string;
    version: number;
    outcome: InvocationOutcome;
    durationMs: number;
    error: InvocationErrorInfo | null;
    resultPreview: string | null;
  } | null;
}

export interface DryRunReport {
  source: 'body' | 'draft' | 'active';
  language: WorkerLanguage;
  eventTypes: string[];
  /** More events matched than a dry run takes (time range), or the scan stopped at its limit. */
  truncated: boolean;
  results: DryRunEventResult[];
}

async function sourceOf(
  deps: RuntimeDeps,
  workerId: string,
  activeVersion: number | null,
  given: string | undefined,
): Promise<{ source: string; from: DryRunReport['source']; language?: WorkerLanguage }> {
  if (given !== undefined) return { source: given, from: 'body' };
  const draft = await deps.readStore.collection<WorkerDraftDoc>(WORKER_DRAFTS).get(workerId);
  if (draft) return { source: draft.source, from: 'draft' };
  const active =
    activeVersion === null
      ? null
      : await deps.readStore
          .collection<WorkerVersionDoc>(WORKER_VERSIONS)
          .get(workerVersionId(workerId, activeVersion));
  if (!active) throw refuse('no_draft', 'There is no draft nor a deployed version to run: send a source.');
  return { source: active.source, from: 'active', language: languageOf(active.language) };
}

/** The project's past events of these types in the range, oldest first (at most `MAX_DRY_RUN_EVENTS`). */
export async function pastEvents(
  eventStore: EventStore,
  projectId: string,
  eventTypes: readonly string[],
  range: EventRange,
): Promise<{ events: RecordedEvent[]; truncated: boolean }> {
  const wanted = 'last' in range ? Math.min(range.last, MAX_DRY_RUN_EVENTS) : MAX_DRY_RUN_EVENTS;
  const found: RecordedEvent[] = [];
  let truncated = false;
  let scanned = 0;
  let from = 0;
  for (;;) {
    const page = await eventStore.readAll({ fromPosition: from, limit: PAGE, filter: { eventTypes } });
    for (const event of page) {
      scanned++;
      if ((event.data as { projectId?: unknown } | null)?.projectId !== projectId) continue;
      if ('last' in range) {
        found.push(event);
        if (found.length > wanted) found.shift();
        continue;
      }
      const at = event.metadata.timestamp;
      if (at < range.from) continue;
      if (at >= range.to) return { events: found, truncated };
      if (found.length === wanted) return { events: found, truncated: true };
      found.push(event);
    }
    if (page.length < PAGE) return { events: found, truncated };
    if (scanned >= MAX_SCANNED_EVENTS) truncated = true;
    if (truncated) return { events: found, truncated };
    from = page.at(-1)!.position;
  }
}

async function deployedRecord(deps: RuntimeDeps, workerId: string, eventId: string) {
  const page = await deps.readStore
    .collection<InvocationRecord>(WORKER_INVOCATIONS)
    .find({ workerId, eventId }, { sort: { startedAt: -1 }, limit: 1 });
  const record = page.items[0];
  if (!record) return null;
  return {
    invocationId: record.id,
    version: record.version,
    outcome: record.outcome,
    durationMs: record.durationMs,
    error: record.error,
    resultPreview: record.resultPreview,
  };
}

/** Whoever may deploy the worker may dry-run it (owner, global admins). */
export async function dryRunWorker(
  deps: RuntimeDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
  request: DryRunRequest,
): Promise<DryRunReport> {
  const { worker } = await findManageableWorker(deps, actor, projectId, workerId);
  const eventTypes = [...new Set(request.eventTypes ?? worker.triggers.events)].sort();
  if (eventTypes.length === 0) {
    throw refuse(
      'no_event_types',
      'The worker listens to no event type: give eventTypes to choose the events to run it against.',
    );
  }
  const code = await sourceOf(deps, workerId, worker.activeVersion, request.source);
  const language = request.language ?? code.language ?? languageOf(worker.language);
  const compiled = await deps.sandbox.compileWorker(code.source, language);
  if (!compiled.ok) {
    const { message, line, column } = compiled.error;
    throw new SyntaxRefusal(message, line, column);
  }
  const { events, truncated } = await pastEvents(deps.eventStore, projectId, eventTypes, request.events);

  // A sandbox identity of its own: the dry run never shares an isolate (nor its globals) with real runs.
  const sandboxId = `dry-run-${randomUUID()}`;
  const limits = effectiveLimits(deps.settings.limits, worker.limits);
  const results: DryRunEventResult[] = [];
  try {
    for (const event of events) {
      const effects: DryRunEffect[] = [];
      const invocationId = randomUUID();
      const hostApi = await buildHostApi(deps, {
        projectId,
        workerId,
        invocationId,
        causationId: event.id,
        correlationId: event.metadata.correlationId,
        eventDepth: depthOf(event),
        dryRun: { record: (effect) => effects.push(effect), httpResponses: request.httpResponses ?? [] },
      });
      const run = await deps.sandbox.invoke({
        worker: { id: sandboxId, version: 0, source: code.source, language },
        handler: 'onEvent',
        input: eventInput(event),
        limits,
        hostApi,
        invocationId,
        projectId,
      });
      results.push({
        event: {
          id: event.id,
          type: event.type,
          position: event.position,
          timestamp: event.metadata.timestamp,
          data: event.data,
        },
        outcome: run.outcome,
        durationMs: run.durationMs,
        logs: run.logs,
        error: run.error ?? null,
        ...(run.result === undefined ? {} : { result: run.result }),
        effects,
        deployed: await deployedRecord(deps, workerId, event.id),
      });
    }
  } finally {
    await deps.sandbox.dispose(sandboxId).catch(() => 0);
  }
  return { source: code.from, language, eventTypes, truncated, results };
}
