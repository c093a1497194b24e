import { z } from 'zod';
import { DELIVERY_STATUSES } from '../../../application/runtime/deliveries.ts';
import type { RuntimeDeps } from '../../../application/runtime/deps.ts';
import { OUTCOMES, TRIGGER_KINDS } from '../../../application/runtime/invocations.ts';
import {
  CRON_MAX_LENGTH,
  EVENT_TYPE_PATTERN,
  MAX_EVENT_TRIGGERS,
  MAX_WORKER_CONCURRENCY,
  WORKER_LANGUAGES,
  WORKER_SLUG_PATTERN,
} from '../../../domain/worker.ts';
import type { StoreRateLimiter } from '../../auth/storeRateLimiter.ts';
import type { HttpAuth } from '../auth.ts';
import { ProjectIdParams } from './projectSchemas.ts';

/** What the worker routes run on, wired in `infrastructure/composition.ts`. */
export interface WorkerRouteDeps {
  app: RuntimeDeps;
  auth: HttpAuth;
  apiKeyLimiter: StoreRateLimiter;
  /** Read-your-writes: resolves once the read models have caught up with `position`. */
  waitFor(position: number | null): Promise<void>;
  /** Interval of the comment lines that keep an invocation stream open through proxies. Default 15 s. */
  heartbeatMs?: number;
  /** How often an invocation stream checks that its viewer still has access. Default 2 s. */
  streamAccessCheckMs?: number;
}

export const WorkerParams = ProjectIdParams.extend({ workerId: z.uuid('must be a worker id (a UUID)') });
export const VersionParams = WorkerParams.extend({
  version: z.coerce.number().int('must be a version number').min(1, 'must be a version number'),
});

export const WorkerSlugSchema = z
  .string()
  .regex(
    WORKER_SLUG_PATTERN,
    'must be 1-48 lowercase letters, digits or hyphens, starting and ending with a letter or digit',
  );

export const TriggersSchema = z
  .object({
    events: z
      .array(
        z
          .string()
          .regex(
            EVENT_TYPE_PATTERN,
            'must be an event type: letters and digits, starting with an upper-case letter',
          ),
      )
      .max(MAX_EVENT_TRIGGERS)
      .optional(),
    http: z.boolean().optional(),
    cron: z.string().min(1).max(CRON_MAX_LENGTH).nullable().optional(),
  })
  .strict()
  .meta({
    description: 'Event types for onEvent, the HTTP trigger for fetch, a cron expression for scheduled',
  });

const limit = (max: number) => z.number().int('must be a whole number').min(1).max(max);
export const LimitsSchema = z
  .object({
    memoryMb: limit(4096).min(8, 'must be at least 8').optional(),
    cpuMs: limit(600_000).optional(),
    wallMs: limit(600_000).optional(),
    concurrency: limit(MAX_WORKER_CONCURRENCY).optional().meta({
      description:
        'Invocations of this worker running at once, at most M3M_WORKER_MAX_CONCURRENCY. 1 (the default): one at a time, event deliveries in the order of the events; more: that many at once, in no promised order, each in an isolate of its own (globals are not shared between them; each has the memory limit of the worker). Applies to its HTTP, cron and run-now invocations too',
    }),
  })
  .strict()
  .meta({ description: "The worker's own limits, each at most the installation's (M3M_WORKER_*)" });

export const LanguageSchema = z
  .enum(WORKER_LANGUAGES, { error: 'must be "javascript" or "typescript"' })
  .meta({ description: 'TypeScript is deployed with its types stripped; errors keep its lines and columns' });

/** Worker sources are at most 1 MB; the route's body limit leaves room for JSON escaping. */
export const SourceSchema = z.string().max(1024 * 1024, 'must be at most 1 MB');

const TriggersOut = z.object({ events: z.array(z.string()), http: z.boolean(), cron: z.string().nullable() });
const LimitsOut = z.object({
  memoryMb: z.number().optional(),
  cpuMs: z.number().optional(),
  wallMs: z.number().optional(),
  concurrency: z.number().optional(),
});

export const WorkerSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  slug: z.string(),
  language: z.enum(WORKER_LANGUAGES),
  triggers: TriggersOut,
  enabled: z.boolean(),
  limits: LimitsOut,
  effectiveLimits: z.object({
    memoryMb: z.number(),
    cpuMs: z.number(),
    wallMs: z.number(),
    concurrency: z.number(),
  }),
  activeVersion: z.number().nullable(),
  latestVersion: z.number(),
  deployedAt: z.string().nullable(),
  draft: z.object({ sourceHash: z.string(), savedAt: z.string().nullable() }).nullable(),
  undeployedChanges: z.boolean(),
  httpPath: z.string(),
  suspension: z.object({ reason: z.string(), since: z.string(), until: z.string() }).nullable().meta({
    description:
      'Set while the worker is suspended for running into its limits again and again: why, and until when (then it runs again by itself; `POST …/resume` ends it now)',
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const WorkerDetailSchema = WorkerSchema.extend({ draftSource: z.string().nullable() });

export const VersionSchema = z.object({
  version: z.number(),
  sourceHash: z.string(),
  language: z.enum(WORKER_LANGUAGES),
  deployedAt: z.string(),
  deployedBy: z.string().nullable(),
  active: z.boolean(),
});

export const LogLineSchema = z.object({
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
  at: z.string(),
});
export const ErrorSchema = z.object({ name: z.string(), message: z.string(), stack: z.string().optional() });

export const OutcomeSchema = z.enum(OUTCOMES);

export const InvocationSchema = z.object({
  id: z.string(),
  workerId: z.string(),
  projectId: z.string(),
  version: z.number(),
  handler: z.string(),
  trigger: z.enum(TRIGGER_KINDS),
  eventId: z.string().nullable(),
  scheduledAt: z.string().nullable(),
  startedAt: z.string(),
  durationMs: z.number(),
  cpuMs: z.number(),
  coldStart: z.boolean(),
  outcome: z.enum(OUTCOMES),
  error: ErrorSchema.nullable(),
  logs: z.array(LogLineSchema),
  resultPreview: z.string().nullable(),
  input: z.string().nullable().meta({
    description:
      "The run's input as JSON, `null` without one (and in records stored before inputs were kept). Redacted: an HTTP trigger's Authorization, Proxy-Authorization, Cookie, Set-Cookie and X-Api-Key headers, and headers and query parameters whose names contain token, secret, key, signature or password, read `[redacted]`; so does any value of the project's secret variables wherever it stands. Cut at 16 KiB, then ending in `…[truncated: N bytes in all]`.",
  }),
  inputTruncated: z
    .boolean()
    .meta({ description: '`true` when `input` was cut at 16 KiB (it is then not valid JSON)' }),
});

export const RunResultSchema = z.object({
  invocationId: z.string(),
  version: z.number(),
  outcome: z.enum(OUTCOMES),
  result: z.unknown().optional(),
  logs: z.array(LogLineSchema),
  durationMs: z.number(),
  error: ErrorSchema.optional(),
});

export const DeliverySchema = z.object({
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  reason: z.string().nullable().meta({ description: 'Why a delivery was skipped, e.g. `depth_limit`' }),
  attempts: z.number(),
  lastError: z.string().nullable(),
  lastInvocationId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const InvocationFilterSchema = z.object({
  outcome: z.enum(OUTCOMES).optional(),
  trigger: z.enum(TRIGGER_KINDS).optional(),
  from: z.iso
    .datetime({ message: 'must be an ISO 8601 date-time (UTC, e.g. 2026-01-02T03:04:05Z)' })
    .optional(),
  to: z.iso
    .datetime({ message: 'must be an ISO 8601 date-time (UTC, e.g. 2026-01-02T03:04:05Z)' })
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(2000).optional(),
});

const DayStatsSchema = z.object({
  invocations: z.number(),
  errors: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
});

export const WorkerStatsSchema = z.object({
  workerId: z.string(),
  from: z.string(),
  to: z.string(),
  total: DayStatsSchema,
  days: z.array(DayStatsSchema.extend({ day: z.string() })),
});
