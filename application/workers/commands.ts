import { createHash, randomUUID } from 'node:crypto';
import {
  validateSource,
  type WorkerCommand,
  type WorkerEvent,
  type WorkerLanguage,
  type WorkerLimits,
  type WorkerTriggers,
  worker,
  workerStream,
} from '../../domain/worker.ts';
import { type CommandResult, handleCommand } from '../commands/handleCommand.ts';
import { loadAggregate } from '../commands/loadAggregate.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { ApplicationError, refusals, refuse } from '../errors.ts';
import { findVisibleProject } from '../projects/queries.ts';
import { releaseSlug, reserveSlug, type SlugScope } from '../projects/slugReservations.ts';
import { assertCanManageWorkers, findManageableWorker } from './access.ts';
import type { WorkerDeps } from './deps.ts';
import { WORKER_DRAFTS, WORKER_INVOCATIONS, WORKER_STATS_DAILY, type WorkerDraftDoc } from './readModel.ts';
import { checkCron } from './triggers.ts';

/**
 * The worker use cases: create, update, save a draft, deploy, activate a version (rollback), delete. Each checks
 * access against the read models (`access.ts`), then decides against the worker's stream (`domain/worker.ts`).
 */

/** A worker slug is unique among its project's live workers: one reservation stream per (project, slug). */
export function workerSlugScope(deps: WorkerDeps, projectId: string): SlugScope {
  return {
    name: `worker:${projectId}`,
    stream: (slug) => `worker-slug-${projectId}-${slug}`,
    holderUses: async (workerId, slug) => {
      const { state } = await loadAggregate(deps.eventStore, deps.schemas, workerStream(workerId), worker);
      return state.status === 'live' && state.slug === slug;
    },
  };
}

export const sourceHash = (source: string) => createHash('sha256').update(source, 'utf8').digest('hex');

function decide(
  deps: WorkerDeps,
  actor: Actor,
  workerId: string,
  command: WorkerCommand,
  origin?: RequestOrigin,
): Promise<CommandResult<WorkerEvent>> {
  return refusals(() =>
    handleCommand(deps, workerStream(workerId), worker, command, eventMetadata(actor, origin)),
  );
}

export interface CreateWorkerInput {
  name: string;
  slug: string;
  triggers?: Partial<WorkerTriggers>;
  enabled?: boolean;
  limits?: WorkerLimits;
  /** Default `javascript`. */
  language?: WorkerLanguage;
}

const triggersOf = (t: Partial<WorkerTriggers> | undefined): WorkerTriggers => ({
  events: t?.events ?? [],
  http: t?.http ?? false,
  cron: t?.cron ?? null,
});

/** Reserves the slug in the project, then records the worker (released again if that fails), as for projects. */
export async function createWorker(
  deps: WorkerDeps,
  actor: Actor,
  projectId: string,
  input: CreateWorkerInput,
  origin?: RequestOrigin,
): Promise<{ workerId: string; position: number }> {
  const project = await findVisibleProject(deps, actor, projectId);
  assertCanManageWorkers(actor, project);
  refusals(() => checkCron(input.triggers));
  const workerId = randomUUID();
  const command: WorkerCommand = {
    type: 'CreateWorker',
    workerId,
    projectId,
    name: input.name,
    slug: input.slug,
    triggers: triggersOf(input.triggers),
    enabled: input.enabled ?? true,
    limits: input.limits ?? {},
    language: input.language ?? 'javascript',
    maxLimits: deps.settings.limits,
  };
  // Decided once without appending, so a bad input is refused before the slug is reserved.
  refusals(() => worker.decide(command, worker.initialState));
  const context = eventMetadata(actor, origin);
  const scope = workerSlugScope(deps, projectId);
  return refusals(async () => {
    await reserveSlug(deps, scope, input.slug, workerId, context);
    try {
      const result = await handleCommand(deps, workerStream(workerId), worker, command, context);
      return { workerId, position: result.position! };
    } catch (error) {
      await releaseSlug(deps, scope, input.slug, workerId, context).catch(() => {});
      throw error;
    }
  });
}

export interface UpdateWorkerInput {
  name?: string;
  /** Replaces the triggers; fields left out keep their current value. */
  triggers?: Partial<WorkerTriggers>;
  enabled?: boolean;
  /** Replaces the worker's own limits (`{}`: the installation's defaults). */
  limits?: WorkerLimits;
  /** Applies to the draft and the next deploy; deployed versions keep the language they were deployed in. */
  language?: WorkerLanguage;
}

export async function updateWorker(
  deps: WorkerDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
  input: UpdateWorkerInput,
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  const { worker: current } = await findManageableWorker(deps, actor, projectId, workerId);
  refusals(() => checkCron(input.triggers));
  const result = await decide(
    deps,
    actor,
    workerId,
    {
      type: 'UpdateWorker',
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.language === undefined ? {} : { language: input.language }),
      ...(input.triggers === undefined ? {} : { triggers: { ...current.triggers, ...input.triggers } }),
      ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
      ...(input.limits === undefined ? {} : { limits: input.limits }),
      maxLimits: deps.settings.limits,
    },
    origin,
  );
  // New limits apply to a new isolate: drop the warm ones.
  if (result.events.some((e) => e.type === 'WorkerUpdated' && e.data.limits !== undefined)) {
    await deps.sandbox.dispose(workerId).catch(() => 0);
  }
  return { position: result.position };
}

export async function saveDraft(
  deps: WorkerDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
  source: string,
  origin?: RequestOrigin,
): Promise<{ sourceHash: string; position: number | null }> {
  await findManageableWorker(deps, actor, projectId, workerId);
  refusals(() => validateSource(source));
  const hash = sourceHash(source);
  const result = await decide(deps, actor, workerId, { type: 'SaveDraft', source, sourceHash: hash }, origin);
  return { sourceHash: hash, position: result.position };
}

/** A syntax error, as the HTTP layer reports it: the field `source`, with line and column in the message. */
export class SyntaxRefusal extends ApplicationError {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super('syntax_error', `Line ${line}, column ${column}: ${message}`, 'source');
    this.line = line;
    this.column = column;
  }
}

/**
 * Deploys `source`, or the saved draft when it is absent, in the worker's language: compiled first (a syntax
 * error or an `import` is refused with its line and column in the source as written — TypeScript keeps its
 * positions when its types are stripped — and nothing is written), then recorded as the next version and
 * activated.
 * Deploying the source that already runs changes nothing. The worker's warm isolates are dropped.
 */
export async function deployWorker(
  deps: WorkerDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
  source: string | undefined,
  origin?: RequestOrigin,
): Promise<{ version: number; deployed: boolean; position: number | null }> {
  const { worker: current } = await findManageableWorker(deps, actor, projectId, workerId);
  let code = source;
  if (code === undefined) {
    const draft = await deps.readStore.collection<WorkerDraftDoc>(WORKER_DRAFTS).get(workerId);
    if (!draft) throw refuse('no_draft', 'There is no saved draft to deploy: send a source.', 'source');
    code = draft.source;
  }
  refusals(() => validateSource(code));
  const compiled = await deps.sandbox.compileWorker(code, current.language);
  if (!compiled.ok) {
    const { message, line, column } = compiled.error;
    throw new SyntaxRefusal(message, line, column);
  }
  const result = await decide(
    deps,
    actor,
    workerId,
    { type: 'DeployWorker', source: code, sourceHash: sourceHash(code) },
    origin,
  );
  const deployed = result.events.find((e) => e.type === 'WorkerDeployed');
  if (deployed?.type !== 'WorkerDeployed') {
    return { version: current.activeVersion ?? 0, deployed: false, position: null };
  }
  await deps.sandbox.dispose(workerId).catch(() => 0);
  return { version: deployed.data.version, deployed: true, position: result.position };
}

/** Rollback (or forward again): makes an earlier deployed version the active one. */
export async function activateVersion(
  deps: WorkerDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
  version: number,
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  await findManageableWorker(deps, actor, projectId, workerId);
  const result = await decide(deps, actor, workerId, { type: 'ActivateVersion', version }, origin);
  if (result.events.length > 0) await deps.sandbox.dispose(workerId).catch(() => 0);
  return { position: result.position };
}

/**
 * Deletes a worker: it leaves the read models, its slug becomes free, its warm isolates go, and its invocation
 * records and statistics are deleted (operational data). The events — every version's source — stay.
 */
export async function deleteWorker(
  deps: WorkerDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
  origin?: RequestOrigin,
): Promise<{ position: number }> {
  await findManageableWorker(deps, actor, projectId, workerId);
  const context = eventMetadata(actor, origin);
  const result = await decide(deps, actor, workerId, { type: 'DeleteWorker' }, origin);
  const deleted = result.events[0];
  if (deleted?.type === 'WorkerDeleted') {
    await releaseSlug(deps, workerSlugScope(deps, projectId), deleted.data.slug, workerId, context).catch(
      () => {},
    );
  }
  await deps.sandbox.dispose(workerId).catch(() => 0);
  await deps.readStore.collection(WORKER_INVOCATIONS).deleteMany({ workerId });
  await deps.readStore.collection(WORKER_STATS_DAILY).deleteMany({ workerId });
  return { position: result.position! };
}
