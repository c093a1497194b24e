import { randomUUID } from 'node:crypto';
import { effectiveLimits, languageOf } from '../../domain/worker.ts';
import { refuse } from '../errors.ts';
import type { ReadStoreSession } from '../ports/readStore.ts';
import type { HandlerName } from '../ports/workerSandbox.ts';
import { readModelMemo } from '../readModelMemo.ts';
import { workerNotFound } from '../workers/access.ts';
import {
  WORKER_VERSIONS,
  WORKERS,
  type WorkerDoc,
  type WorkerVersionDoc,
  workerVersionId,
} from '../workers/readModel.ts';
import type { RuntimeDeps } from './deps.ts';
import { buildHostApi } from './hostApi.ts';
import { recordInvocationFailed } from './invocationFailed.ts';
import { recordedInput } from './invocationInput.ts';
import { type InvocationRecord, resultPreview, storeInvocation, type TriggerKind } from './invocations.ts';
import { projectQuotas } from './projectUsage.ts';
import { clearBreaker, isLimitOutcome } from './workerGuard.ts';
import { sameInBatch } from './writeBatch.ts';

export interface InvocationTrigger {
  kind: TriggerKind;
  /** `event`: the triggering event's id (its idempotency key). */
  eventId?: string;
  /** `schedule`: the tick this run is for (ISO 8601). */
  scheduledAt?: string;
}

export interface InvokeWorkerRequest {
  workerId: string;
  trigger: InvocationTrigger;
  handler: HandlerName;
  /** Copied into the guest as JSON. */
  input?: unknown;
  /** For `event` triggers by a custom event: that event's `data.depth`; 0 (the default) otherwise. */
  eventDepth?: number;
  /** Ties the events the worker appends to the cause; a fresh one when absent. */
  correlationId?: string;
  /** When given, the worker must belong to this project (else `worker_not_found`). */
  projectId?: string;
  /** Defaults to a fresh UUID. */
  invocationId?: string;
  /**
   * An in-order event delivery handed in before the worker's previous one has ended
   * (docs/adr/0032-bursts-to-one-worker-second-pass.md): it is given to the sandbox only once `ready` resolves
   * (the previous one was given to it), and says so with `dispatched()` (also called should it never get there).
   * At concurrency 1 the sandbox runs a worker's invocations one after another in the order it gets them, so this
   * one starts when the previous one ends; its record's `startedAt` says when.
   */
  turn?: { ready: Promise<void>; dispatched(): void };
}

/** The stored record plus the handler's full result (the record keeps only a preview). */
export interface Invocation extends InvocationRecord {
  /** Outcome `ok` only; absent when the handler returned `undefined`. */
  result?: unknown;
}

/**
 * Runs one handler of a worker's active version: loads the worker and its version from the read model,
 * builds the host API, invokes the sandbox with the worker's limits, stores the invocation record (with the
 * daily statistics), publishes it to live followers and returns it. A failing worker is not an error here:
 * it is the record's `outcome`. Refused (ApplicationError) for an unknown worker (`worker_not_found`), a
 * disabled one (`worker_disabled`) and one never deployed (`worker_not_deployed`); with a guard, a suspended one
 * (`worker_suspended`) and one over its CPU budget (`worker_throttled`), both `RetryLaterError`s.
 */
export async function invokeWorker(deps: RuntimeDeps, request: InvokeWorkerRequest): Promise<Invocation> {
  const { invocation, stored } = await runWorker(deps, request);
  const record = await stored;
  return { ...record, ...(invocation.result === undefined ? {} : { result: invocation.result }) };
}

/** An invocation that has run, and its record on its way to the store. */
export interface RanInvocation {
  /** The record as built (before the log quota had its say) with the full result. */
  invocation: Invocation;
  /**
   * Resolves with the record as stored (as built, should storing fail: that is logged), once it is stored,
   * published to live followers and, for a failure, recorded as `WorkerInvocationFailed`. Never rejects.
   */
  stored: Promise<InvocationRecord>;
}

/**
 * `invokeWorker` without waiting for the record: resolves as soon as the sandbox has answered. An event delivery
 * uses it so that its lane may start the next delivery while this one's record joins the next batch of writes
 * (`linger`), with the delivery's outcome (docs/adr/0032-bursts-to-one-worker-second-pass.md).
 */
export async function runWorker(
  deps: RuntimeDeps,
  request: InvokeWorkerRequest,
  options: { linger?: boolean } = {},
): Promise<RanInvocation> {
  try {
    return await runInTurn(deps, request, options);
  } finally {
    request.turn?.dispatched(); // refused or failed before the sandbox: the next one need not wait
  }
}

async function runInTurn(
  deps: RuntimeDeps,
  request: InvokeWorkerRequest,
  options: { linger?: boolean },
): Promise<RanInvocation> {
  const { worker, version } = await workerAndVersion(deps, request);

  await deps.guard?.admit(worker);
  const invocationId = request.invocationId ?? randomUUID();
  const startedAt = deps.clock.now().toISOString();
  const limits = effectiveLimits(deps.settings.limits, worker.limits);
  // In its turn before it takes a share: the previous one, still to be handed in, may need that share.
  if (request.turn) await request.turn.ready;
  // A project at its share of concurrent invocations waits here; other projects' invocations do not.
  const release = await deps.share?.acquire(worker.projectId);
  let result: Awaited<ReturnType<typeof deps.sandbox.invoke>>;
  try {
    const hostApi = await buildHostApi(deps, {
      projectId: worker.projectId,
      workerId: worker.id,
      invocationId,
      causationId: request.trigger.eventId ?? null,
      correlationId: request.correlationId ?? invocationId,
      eventDepth: request.eventDepth ?? 0,
      deadline: Date.now() + limits.wallMs,
    });
    const running = deps.sandbox.invoke({
      worker: {
        id: worker.id,
        version: version.version,
        source: version.source,
        language: languageOf(version.language),
      },
      handler: request.handler,
      ...(request.input === undefined ? {} : { input: request.input }),
      limits,
      hostApi,
      invocationId,
      projectId: worker.projectId,
      // At more than 1, that many of its invocations (any trigger) may run at once, each in its own isolate.
      concurrency: limits.concurrency,
    });
    request.turn?.dispatched();
    result = await running;
  } finally {
    release?.();
  }

  // An invocation that ended at a limit counts towards the breaker now (it may suspend the worker, which the
  // record says); any other clears the count in the record's own transaction.
  const guard = deps.guard;
  let suspended: string | null = null;
  if (guard && isLimitOutcome(result.outcome))
    suspended = await guard.record(worker, result.outcome, result.cpuMs);
  else guard?.spend(worker.id, result.cpuMs);
  const logs = suspended
    ? [...result.logs, { level: 'error' as const, message: suspended, at: deps.clock.now().toISOString() }]
    : result.logs;
  const built: InvocationRecord = {
    id: invocationId,
    workerId: worker.id,
    projectId: worker.projectId,
    version: version.version,
    handler: request.handler,
    trigger: request.trigger.kind,
    eventId: request.trigger.eventId ?? null,
    scheduledAt: request.trigger.scheduledAt ?? null,
    // Handed in ahead of its turn: it started when the sandbox began running it.
    startedAt:
      request.turn && result.startedAt !== undefined ? new Date(result.startedAt).toISOString() : startedAt,
    durationMs: result.durationMs,
    cpuMs: result.cpuMs,
    coldStart: result.coldStart,
    outcome: result.outcome,
    error: result.error ?? null,
    logs,
    resultPreview: resultPreview(result.result),
    ...(await recordedInput(deps, worker.projectId, request.input, request.trigger.kind === 'http')),
    seq: deps.feed.nextSeq(deps.clock.now()),
  };
  const stored = storeInvocation(
    deps.readStore,
    built,
    async (session) =>
      (
        await sameInBatch(session, `quotas:${worker.projectId}`, () =>
          projectQuotas(session, deps.settings.quotas, worker.projectId),
        )
      ).logBytes,
    {
      linger: options.linger ?? false,
      ...(guard && !isLimitOutcome(result.outcome)
        ? { alsoIn: (session: ReadStoreSession) => clearBreaker(session, worker.id) }
        : {}),
    },
  )
    .catch((err: unknown) => {
      // The worker ran; losing its record must not turn its result into a failure for the caller.
      deps.log?.('error', { err, invocationId, workerId: worker.id }, 'could not store an invocation record');
      return built;
    })
    .then(async (record) => {
      deps.feed.publish(record);
      // A failure is also a small event (no error text) for the webhooks' `worker.invocation.failed`.
      await recordInvocationFailed(deps, record, {
        workerSlug: worker.slug,
        eventDepth: request.eventDepth ?? 0,
        correlationId: request.correlationId ?? invocationId,
      });
      return record;
    });
  return {
    invocation: { ...built, ...(result.result === undefined ? {} : { result: result.result }) },
    stored,
  };
}

/**
 * The worker and its active version, from memory while the workers projection has not moved (one read of its
 * checkpoint per turn of the event loop, see `readModelMemo.ts`): a burst of deliveries to one worker reads
 * neither per delivery, and a disable, a deploy or a limits change is seen by the first invocation after it is
 * projected, in every process, as with a read per invocation.
 */
async function workerAndVersion(
  deps: RuntimeDeps,
  request: InvokeWorkerRequest,
): Promise<{ worker: WorkerDoc; version: WorkerVersionDoc }> {
  const memo = readModelMemo<WorkerDoc | WorkerVersionDoc>(deps.readStore, 'workers', 'runtimeWorkers');
  const worker = (await memo.get(`worker:${request.workerId}`, () =>
    deps.readStore.collection<WorkerDoc>(WORKERS).get(request.workerId),
  )) as WorkerDoc | null;
  if (!worker || (request.projectId !== undefined && worker.projectId !== request.projectId)) {
    throw workerNotFound();
  }
  if (!worker.enabled) {
    throw refuse('worker_disabled', `The worker "${worker.slug}" is disabled.`);
  }
  const versionId = worker.activeVersion === null ? null : workerVersionId(worker.id, worker.activeVersion);
  const version =
    versionId === null
      ? null
      : ((await memo.get(`version:${versionId}`, () =>
          deps.readStore.collection<WorkerVersionDoc>(WORKER_VERSIONS).get(versionId),
        )) as WorkerVersionDoc | null);
  if (!version) {
    throw refuse(
      'worker_not_deployed',
      `The worker "${worker.slug}" has no deployed version yet: deploy it first.`,
    );
  }
  return { worker, version };
}
