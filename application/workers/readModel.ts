import type { WorkerLanguage, WorkerLimits, WorkerTriggers } from '../../domain/worker.ts';
import type { Doc } from '../ports/readStore.ts';

/**
 * The read models of workers (written only by `projections/workers.ts`) and the worker runtime's operational
 * collections (invocation records, daily statistics, worker data), which are not projections: they are written
 * by the runtime and never rebuilt from events.
 */

export const WORKERS = 'workers';
export const WORKER_VERSIONS = 'worker_versions';
export const WORKER_DRAFTS = 'worker_drafts';
/** One row per (worker, event type) it listens to: the runtime subscriber finds workers by event type. */
export const WORKER_EVENT_TRIGGERS = 'worker_event_triggers';

/** Operational: one document per invocation, expired after the retention period. */
export const WORKER_INVOCATIONS = 'worker_invocations';
/** Operational: per worker and UTC day, counters and a duration histogram. */
export const WORKER_STATS_DAILY = 'worker_stats_daily';

export interface WorkerDoc extends Doc {
  projectId: string;
  name: string;
  slug: string;
  triggers: WorkerTriggers;
  /** Copies of `triggers.http` / `triggers.cron` for indexed lookups. */
  http: boolean;
  cron: string | null;
  enabled: boolean;
  limits: WorkerLimits;
  language: WorkerLanguage;
  /** `null` until the first deploy. */
  activeVersion: number | null;
  latestVersion: number;
  activeSourceHash: string | null;
  draftHash: string | null;
  draftSavedAt: string | null;
  deployedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WorkerVersionDoc extends Doc {
  workerId: string;
  projectId: string;
  version: number;
  source: string;
  sourceHash: string;
  language: WorkerLanguage;
  deployedAt: string;
  deployedBy: string | null;
}

export interface WorkerDraftDoc extends Doc {
  workerId: string;
  projectId: string;
  source: string;
  sourceHash: string;
  savedAt: string;
}

export interface WorkerEventTriggerDoc extends Doc {
  workerId: string;
  projectId: string;
  eventType: string;
}

export const workerVersionId = (workerId: string, version: number) => `${workerId}:${version}`;
export const workerEventTriggerId = (workerId: string, eventType: string) => `${workerId}:${eventType}`;
