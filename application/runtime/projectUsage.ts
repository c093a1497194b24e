import {
  DEFAULT_QUOTAS,
  effectiveQuotas,
  type ProjectQuotas,
  type QuotaDefaults,
} from '../../domain/projectQuotas.ts';
import { refuse } from '../errors.ts';
import { type Doc, DuplicateKeyError, type ReadStore, type ReadStoreSession } from '../ports/readStore.ts';
import type { LogLine } from '../ports/workerSandbox.ts';
import { PROJECTS } from '../projects/readModel.ts';

/**
 * What a project stores against its quotas (issue 12, item 5), counted as it is written so a write can be
 * refused before it lands:
 *
 * - `m3m_project_usage/<projectId>`: its workers' documents and their bytes (UTF-8 JSON), changed in the same
 *   transaction as each insert, update and delete. A project from before quotas is counted once, on its first
 *   write.
 * - `m3m_project_log_usage/<projectId>:<day>`: bytes of log lines kept with its invocation records, per UTC day
 *   of the record's start; a day goes once its records have expired (`M3M_LOG_RETENTION_DAYS`), so the count
 *   errs by at most a day's worth on the safe side.
 */

export const PROJECT_USAGE = 'm3m_project_usage';
export const PROJECT_LOG_USAGE = 'm3m_project_log_usage';

export interface ProjectUsageDoc extends Doc {
  documents: number;
  documentBytes: number;
}

export interface LogUsageDoc extends Doc {
  projectId: string;
  /** YYYY-MM-DD (UTC) */
  day: string;
  bytes: number;
}

export const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** The quotas in force for a project: its own (set by a global admin) over the installation's. */
export async function projectQuotas(
  readStore: ReadStoreSession,
  defaults: QuotaDefaults | undefined,
  projectId: string,
): Promise<QuotaDefaults> {
  const project = await readStore.collection<Doc & { quotas?: ProjectQuotas }>(PROJECTS).get(projectId);
  return effectiveQuotas(defaults ?? DEFAULT_QUOTAS, project?.quotas);
}

function quotaExceeded(what: string, limit: number, used: number, adding: number): Error {
  return refuse(
    'quota_exceeded',
    `The project's quota of ${limit} ${what} would be passed (${used} used, this write adds ${adding}): delete data or ask a global admin to raise it.`,
  );
}

/**
 * Makes sure the project's document usage exists before a write changes it: a project from before quotas is
 * counted once from its collections (a concurrent first count loses the race harmlessly).
 */
export async function ensureDocumentUsage(
  readStore: ReadStore,
  projectId: string,
  prefix: string,
): Promise<void> {
  const usage = readStore.collection<ProjectUsageDoc>(PROJECT_USAGE);
  if (await usage.get(projectId)) return;
  let documents = 0;
  let documentBytes = 0;
  for (const name of await readStore.listCollections()) {
    if (!name.startsWith(prefix)) continue;
    let cursor: string | null = null;
    do {
      const page: { items: Doc[]; nextCursor: string | null } = await readStore
        .collection(name)
        .find({}, { limit: 500, cursor });
      for (const doc of page.items) {
        documents++;
        documentBytes += jsonBytes(doc);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  try {
    await usage.insert({ id: projectId, documents, documentBytes });
  } catch (err) {
    if (!(err instanceof DuplicateKeyError)) throw err;
  }
}

/** Refuses with `quota_exceeded` when adding `change` would take the project past `quotas` (shrinking passes). */
export async function checkDocumentQuota(
  session: ReadStoreSession,
  projectId: string,
  change: { documents: number; bytes: number },
  quotas: QuotaDefaults,
): Promise<void> {
  const current = (await session.collection<ProjectUsageDoc>(PROJECT_USAGE).get(projectId)) ?? {
    documents: 0,
    documentBytes: 0,
  };
  if (change.documents > 0 && current.documents + change.documents > quotas.documents) {
    throw quotaExceeded('documents', quotas.documents, current.documents, change.documents);
  }
  if (change.bytes > 0 && current.documentBytes + change.bytes > quotas.documentBytes) {
    throw quotaExceeded('bytes of documents', quotas.documentBytes, current.documentBytes, change.bytes);
  }
}

/**
 * Adds `documents` and `bytes` (either may be negative) to the project's usage inside the write's transaction,
 * refusing with `quota_exceeded` when a growth would pass `quotas` (a shrink always passes).
 */
export async function chargeDocuments(
  session: ReadStoreSession,
  projectId: string,
  change: { documents: number; bytes: number },
  quotas: QuotaDefaults | null,
): Promise<void> {
  if (quotas) await checkDocumentQuota(session, projectId, change, quotas);
  if (change.documents === 0 && change.bytes === 0) return;
  await session
    .collection<ProjectUsageDoc>(PROJECT_USAGE)
    .patch(
      projectId,
      { $inc: { documents: change.documents, documentBytes: change.bytes } },
      { upsert: true },
    );
}

/**
 * Charges an invocation record's log lines to its project's log quota, inside the transaction that stores it.
 * Past the quota the lines are not kept: the record keeps one line that says why. Returns the lines to store.
 */
export async function chargeLogs(
  session: ReadStoreSession,
  projectId: string,
  startedAt: string,
  logs: LogLine[],
  quota: number,
): Promise<LogLine[]> {
  if (logs.length === 0) return logs;
  const days = session.collection<LogUsageDoc>(PROJECT_LOG_USAGE);
  let used = 0;
  let cursor: string | null = null;
  do {
    const page: { items: LogUsageDoc[]; nextCursor: string | null } = await days.find(
      { projectId },
      { limit: 1000, cursor },
    );
    for (const d of page.items) used += d.bytes;
    cursor = page.nextCursor;
  } while (cursor);
  let kept = logs;
  if (used + jsonBytes(logs) > quota) {
    kept = [
      {
        level: 'warn',
        message: `${logs.length} log lines not kept (quota_exceeded): the project's invocation logs are at their quota of ${quota} bytes (${used} used). Old records expire after M3M_LOG_RETENTION_DAYS days; a global admin can raise the quota.`,
        at: logs[0]!.at,
      },
    ];
  }
  const day = startedAt.slice(0, 10);
  await days.patch(
    `${projectId}:${day}`,
    { $set: { projectId, day }, $inc: { bytes: jsonBytes(kept) } },
    { upsert: true },
  );
  return kept;
}

/** Forgets the log usage of days whose records have all expired (records started before `cutoff`). */
export async function sweepLogUsage(readStore: ReadStore, cutoff: string): Promise<void> {
  // A day goes once it is wholly before the cutoff: its records are all gone.
  await readStore.collection(PROJECT_LOG_USAGE).deleteMany({ day: { $lt: cutoff.slice(0, 10) } });
}

export interface UsageView {
  documents: { used: number; quota: number };
  documentBytes: { used: number; quota: number };
  logBytes: { used: number; quota: number };
  /** The project's own quotas set by a global admin (`null`: the installation's default applies). */
  overrides: ProjectQuotas;
}

/** The project's usage beside its quotas, for the API. */
export async function readUsage(
  readStore: ReadStore,
  defaults: QuotaDefaults | undefined,
  projectId: string,
  prefix: string,
): Promise<UsageView> {
  await ensureDocumentUsage(readStore, projectId, prefix);
  const quotas = await projectQuotas(readStore, defaults, projectId);
  const project = await readStore.collection<Doc & { quotas?: ProjectQuotas }>(PROJECTS).get(projectId);
  const usage = await readStore.collection<ProjectUsageDoc>(PROJECT_USAGE).get(projectId);
  let logBytes = 0;
  let cursor: string | null = null;
  do {
    const page: { items: LogUsageDoc[]; nextCursor: string | null } = await readStore
      .collection<LogUsageDoc>(PROJECT_LOG_USAGE)
      .find({ projectId }, { limit: 1000, cursor });
    for (const d of page.items) logBytes += d.bytes;
    cursor = page.nextCursor;
  } while (cursor);
  return {
    documents: { used: usage?.documents ?? 0, quota: quotas.documents },
    documentBytes: { used: usage?.documentBytes ?? 0, quota: quotas.documentBytes },
    logBytes: { used: logBytes, quota: quotas.logBytes },
    overrides: {
      documents: project?.quotas?.documents ?? null,
      documentBytes: project?.quotas?.documentBytes ?? null,
      logBytes: project?.quotas?.logBytes ?? null,
    },
  };
}
