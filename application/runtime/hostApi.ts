import { z } from 'zod';
import { readEnvironment } from '../environment/readEnvironment.ts';
import { ApplicationError } from '../errors.ts';
import { incrementGoal } from '../goals/incrementGoal.ts';
import { findGoal } from '../goals/queries.ts';
import type { HostApi, HostFunction } from '../ports/workerSandbox.ts';
import { PROJECTS } from '../projects/readModel.ts';
import { emitCustomEvent } from './customEvents.ts';
import type { RuntimeDeps } from './deps.ts';
import { cannedResponse, type DryRunCapture, DryRunError } from './dryRunEffects.ts';
import { modelOps } from './models.ts';
import { projectQuotas } from './projectUsage.ts';

/**
 * The Runtime API behind the guest's global `m3m` (DESIGN §4), one closure set per invocation. Every function
 * receives the guest's JSON arguments, validates them, and throws errors whose name and message the guest
 * sees as an exception (never a stack or a host object). Plugins add their functions through
 * `RuntimeExtensions`; `m3m.log` is built into the sandbox.
 */

/** Who the host API acts for. */
export interface HostApiContext {
  projectId: string;
  workerId: string;
  invocationId: string;
  /** The triggering event, if any: the causation of what the worker writes. */
  causationId: string | null;
  correlationId: string;
  /** Causation depth of the triggering event (0 for a trigger no worker caused: HTTP, schedule, run now). */
  eventDepth: number;
  /** When the invocation's wall time ends (epoch ms): a host call that waits gives up by then. */
  deadline?: number;
  /**
   * A dry run: every write, increment, emitted event and request is checked as usual, then recorded here
   * instead of made; `http.fetch` answers only from the canned responses; plugin functions are not called.
   */
  dryRun?: DryRunCapture;
}

/** Namespaces of the built-in API: a plugin function under one of them is skipped. */
export const BUILT_IN_NAMESPACES = new Set(['log', 'goals', 'env', 'models', 'events', 'http']);

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const MAX_FETCH_BODY_BYTES = 1024 * 1024;

const zodMessage = (error: z.ZodError) =>
  error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');

/** Validates the arguments of `m3m.<method>(…)`; a mistake becomes a TypeError naming the method. */
function parseArgs<T>(signature: string, schema: z.ZodType<T>, args: unknown[]): T {
  const parsed = schema.safeParse(args);
  if (!parsed.success) throw new TypeError(`m3m.${signature}: ${zodMessage(parsed.error)}`);
  return parsed.data;
}

const KIND_NAMES: Record<string, string> = {
  invalid: 'ValidationError',
  not_found: 'NotFoundError',
  forbidden: 'ForbiddenError',
  conflict: 'ConflictError',
};

/** Refusals a worker may want to tell apart from the kind's name. */
const CODE_NAMES: Record<string, string> = { quota_exceeded: 'QuotaExceededError' };

/** An application refusal as the guest should see it: `NotFoundError: The goal does not exist.` */
function guestError(error: unknown): unknown {
  if (error instanceof ApplicationError) {
    const e = new Error(error.message);
    e.name = CODE_NAMES[error.code] ?? KIND_NAMES[error.kind] ?? 'Error';
    return e;
  }
  return error;
}

function guarded(fn: HostFunction): HostFunction {
  return async (args, context) => {
    try {
      return await fn(args, context);
    } catch (error) {
      throw guestError(error);
    }
  };
}

const GoalArgs = z.tuple([
  z.string().min(1, 'slug is a goal slug').max(120),
  // NaN and Infinity arrive as null (JSON): anything but a whole number in range is refused, never counted as 1.
  z
    .number('by is a whole number from 1 to 1000000000')
    .int('by is a whole number')
    .min(1)
    .max(1_000_000_000)
    .optional(),
]);
const EnvArgs = z.tuple([z.string().min(1).max(64)]);
const EmitArgs = z.tuple([z.string(), z.unknown().optional()]);
const FetchArgs = z.tuple([
  z.string().max(8192),
  z
    .object({
      method: z.string().toUpperCase().pipe(z.enum(HTTP_METHODS)).optional(),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    })
    .nullish(),
]);

/** Builds the host API of one invocation: built-in functions plus the project's active extensions. */
export async function buildHostApi(deps: RuntimeDeps, ctx: HostApiContext): Promise<HostApi> {
  const { dryRun } = ctx;
  const models = modelOps(deps.readStore, ctx.projectId, dryRun, () =>
    projectQuotas(deps.readStore, deps.settings.quotas, ctx.projectId),
  );
  let environment: Promise<Record<string, string>> | null = null;
  let emits = 0;
  const origin = {
    source: `worker:${ctx.workerId}`,
    correlationId: ctx.correlationId,
    causationId: ctx.causationId,
    // Every event this invocation causes, built-in (GoalIncremented…) or custom, is one level deeper.
    depth: ctx.eventDepth + 1,
  };

  const api: Record<string, HostFunction> = {
    'goals.increment': async (args) => {
      const [slug, by] = parseArgs('goals.increment(slug, by?)', GoalArgs, args);
      // A project's own goal by its short slug first (`visits`), then as given (`flow-visits`, a global goal).
      const project = await deps.readStore.collection(PROJECTS).get(ctx.projectId);
      const own = project ? `${String(project.slug)}-${slug}` : null;
      const target = own && (await findGoal(deps, own)) ? own : slug;
      const result = await incrementGoal(
        deps,
        { kind: 'project', projectId: ctx.projectId },
        target,
        by ?? 1,
        origin,
        { dryRun: dryRun !== undefined },
      );
      dryRun?.record({ kind: 'goals.increment', goal: result.slug, by: result.by });
      return { goalId: result.goalId, slug: result.slug, by: result.by, day: result.day };
    },
    'env.get': async (args) => {
      const [name] = parseArgs('env.get(name)', EnvArgs, args);
      environment ??= readEnvironment(deps, ctx.projectId);
      return (await environment)[name] ?? null;
    },
    'models.insert': (args) => models.insert(args),
    'models.find': (args) => models.find(args),
    'models.findOne': (args) => models.findOne(args),
    'models.update': (args) => models.update(args),
    'models.delete': (args) => models.delete(args),
    'events.emit': async (args) => {
      const [type, data] = parseArgs('events.emit(type, data)', EmitArgs, args);
      const share = deps.share?.settings;
      if (share && ++emits > share.emitsPerInvocation) {
        throw new RangeError(
          `m3m.events.emit: one invocation emits at most ${share.emitsPerInvocation} events (M3M_PROJECT_EMITS_PER_INVOCATION)`,
        );
      }
      // The project's events per minute: past them this emit waits for room (within the invocation's wall time).
      if (!dryRun) await deps.share?.takeEmit(ctx.projectId, ctx.deadline ?? Date.now());
      const { eventId } = await emitCustomEvent(
        deps.eventStore,
        {
          projectId: ctx.projectId,
          workerId: ctx.workerId,
          causationId: ctx.causationId,
          correlationId: ctx.correlationId,
          eventDepth: ctx.eventDepth,
          depthLimit: deps.settings.eventDepthLimit,
          reserved: deps.reservedEventTypes,
          now: deps.clock.now(),
          dryRun: dryRun !== undefined,
        },
        type,
        data,
      );
      dryRun?.record({ kind: 'events.emit', type, data: data ?? null });
      return { eventId };
    },
    'http.fetch': async (args) => {
      const [url, init] = parseArgs('http.fetch(url, init?)', FetchArgs, args);
      const headers: Record<string, string> = { ...(init?.headers ?? {}) };
      let body: string | undefined;
      if (init?.body !== undefined && init.body !== null) {
        if (typeof init.body === 'string') body = init.body;
        else {
          body = JSON.stringify(init.body);
          if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
            headers['content-type'] = 'application/json';
          }
        }
        if (Buffer.byteLength(body, 'utf8') > MAX_FETCH_BODY_BYTES) {
          throw new RangeError(`m3m.http.fetch: a request body is at most ${MAX_FETCH_BODY_BYTES} bytes`);
        }
      }
      const method = init?.method ?? 'GET';
      if (dryRun) {
        const canned = cannedResponse(dryRun.httpResponses, method, url);
        dryRun.record({ kind: 'http.fetch', method, url, answered: canned ? 'canned' : 'refused' });
        if (canned) return canned;
        throw new DryRunError(
          `m3m.http.fetch is not sent in a dry run: give a canned response for ${method} ${url} to answer it`,
        );
      }
      return deps.fetcher.fetch({
        url,
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
    },
  };

  for (const extension of await deps.extensions.forProject(ctx.projectId)) {
    for (const [path, fn] of Object.entries(extension.functions)) {
      const namespace = path.split('.')[0] ?? '';
      // `a.b` beside `a.b.c` cannot both exist on the guest's object.
      const clashes = Object.keys(api).some(
        (p) => p === path || p.startsWith(`${path}.`) || path.startsWith(`${p}.`),
      );
      if (BUILT_IN_NAMESPACES.has(namespace) || clashes) {
        deps.log?.(
          'warn',
          { moduleCode: extension.moduleCode, path },
          'plugin function skipped: the name is taken',
        );
        continue;
      }
      api[path] = dryRun
        ? () => {
            // A plugin's effects (a mail sent…) cannot be captured: it is not called at all.
            dryRun.record({ kind: 'plugin', path });
            throw new DryRunError(`m3m.${path} (a plugin function) is not called in a dry run`);
          }
        : (args) =>
            fn(args, { projectId: ctx.projectId, workerId: ctx.workerId, invocationId: ctx.invocationId });
    }
  }

  return Object.fromEntries(Object.entries(api).map(([path, fn]) => [path, guarded(fn)]));
}
