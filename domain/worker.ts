import { type Decider, DomainError } from './decider.ts';
import { normalizeName, PROJECT_SLUG_PATTERN } from './project.ts';

/**
 * A worker: a small JavaScript module of a project, run by the runtime on its triggers. Stream `worker-<uuid>`.
 * Saving a source keeps a draft; deploying makes an immutable numbered version (1, 2, 3…) and activates it;
 * activating an earlier version is a rollback. The history keeps every version.
 */

/** Same alphabet as project slugs: lowercase letters, digits, inner hyphens, 1–48 characters. */
export const WORKER_SLUG_PATTERN = PROJECT_SLUG_PATTERN;
/** Event types a worker may listen to and emit: `GoalIncremented`, `OrderPlaced`… */
export const EVENT_TYPE_PATTERN = /^[A-Z][A-Za-z0-9]{0,63}$/;
export const MAX_EVENT_TRIGGERS = 50;
/** In UTF-8 bytes. */
export const WORKER_SOURCE_MAX_BYTES = 1024 * 1024;
export const CRON_MAX_LENGTH = 200;
/**
 * What a worker's source is written in. TypeScript is deployed with its types stripped (the sandbox keeps every
 * line and column where it was, so errors point at the source as written). Events recorded before workers had a
 * language carry none: those are JavaScript.
 */
export const WORKER_LANGUAGES = ['javascript', 'typescript'] as const;
export type WorkerLanguage = (typeof WORKER_LANGUAGES)[number];
export const languageOf = (language: WorkerLanguage | undefined): WorkerLanguage => language ?? 'javascript';

export interface WorkerTriggers {
  /** Event types (built-in or custom) the worker's `onEvent` handler is called for. */
  events: string[];
  /** Whether `ANY /run/:projectSlug/:workerSlug` calls its `fetch` handler. */
  http: boolean;
  /** A cron expression for its `scheduled` handler, or `null`. */
  cron: string | null;
}

/** Per-worker limits; absent fields use the global defaults. Each within the global maxima. */
export interface WorkerLimits {
  memoryMb?: number;
  cpuMs?: number;
  wallMs?: number;
  /**
   * Event deliveries of this worker running at once. 1 (the default, whatever the installation allows): one at a
   * time, in the order of the events; more: in parallel, in no promised order.
   */
  concurrency?: number;
}

export const LIMIT_MINIMA: Readonly<Required<WorkerLimits>> = {
  memoryMb: 8,
  cpuMs: 1,
  wallMs: 1,
  concurrency: 1,
};
export const LIMIT_KEYS = ['memoryMb', 'cpuMs', 'wallMs', 'concurrency'] as const;
/** The most `concurrency` an installation allows unless configured (`M3M_WORKER_MAX_CONCURRENCY`). */
export const DEFAULT_MAX_CONCURRENCY = 8;
/** The most an installation may allow (beyond it a worker would hold every delivery slot of the process). */
export const MAX_WORKER_CONCURRENCY = 64;

/**
 * The worker's own limits over the installation's, never above them: lowering a global limit later also
 * lowers the workers that had chosen more. The installation's `concurrency` is only a maximum: a worker that
 * chose none runs its deliveries one at a time.
 */
export function effectiveLimits(
  installation: Required<WorkerLimits>,
  own: WorkerLimits,
): Required<WorkerLimits> {
  return {
    memoryMb: Math.min(own.memoryMb ?? installation.memoryMb, installation.memoryMb),
    cpuMs: Math.min(own.cpuMs ?? installation.cpuMs, installation.cpuMs),
    wallMs: Math.min(own.wallMs ?? installation.wallMs, installation.wallMs),
    concurrency: Math.max(1, Math.min(own.concurrency ?? 1, installation.concurrency)),
  };
}

export type WorkerCommand =
  | {
      type: 'CreateWorker';
      workerId: string;
      projectId: string;
      name: string;
      slug: string;
      triggers: WorkerTriggers;
      enabled: boolean;
      limits: WorkerLimits;
      language: WorkerLanguage;
      /** The installation's maxima, from configuration. */
      maxLimits: Required<WorkerLimits>;
    }
  | {
      type: 'UpdateWorker';
      name?: string;
      language?: WorkerLanguage;
      triggers?: WorkerTriggers;
      enabled?: boolean;
      limits?: WorkerLimits;
      maxLimits: Required<WorkerLimits>;
    }
  | { type: 'SaveDraft'; source: string; sourceHash: string }
  /** The application compiled the source first: only a source that parses reaches the decider. */
  | { type: 'DeployWorker'; source: string; sourceHash: string }
  | { type: 'ActivateVersion'; version: number }
  | { type: 'DeleteWorker' };

export type WorkerEvent =
  | {
      type: 'WorkerCreated';
      data: {
        workerId: string;
        projectId: string;
        name: string;
        slug: string;
        triggers: WorkerTriggers;
        enabled: boolean;
        limits: WorkerLimits;
        /** Absent in events older than languages: JavaScript. */
        language?: WorkerLanguage;
      };
    }
  | {
      type: 'WorkerUpdated';
      data: {
        workerId: string;
        projectId: string;
        name?: string;
        language?: WorkerLanguage;
        triggers?: WorkerTriggers;
        enabled?: boolean;
        limits?: WorkerLimits;
      };
    }
  | {
      type: 'WorkerDraftSaved';
      data: { workerId: string; projectId: string; source: string; sourceHash: string };
    }
  | {
      type: 'WorkerDeployed';
      data: {
        workerId: string;
        projectId: string;
        version: number;
        source: string;
        sourceHash: string;
        /** The language this version was deployed in (absent in older events: JavaScript). */
        language?: WorkerLanguage;
      };
    }
  | { type: 'WorkerVersionActivated'; data: { workerId: string; projectId: string; version: number } }
  | { type: 'WorkerDeleted'; data: { workerId: string; projectId: string; slug: string } };

export const WORKER_EVENT_TYPES = [
  'WorkerCreated',
  'WorkerUpdated',
  'WorkerDraftSaved',
  'WorkerDeployed',
  'WorkerVersionActivated',
  'WorkerDeleted',
] as const satisfies readonly WorkerEvent['type'][];

export interface WorkerState {
  status: 'none' | 'live' | 'deleted';
  workerId: string | null;
  projectId: string | null;
  slug: string;
  name: string;
  triggers: WorkerTriggers;
  enabled: boolean;
  limits: WorkerLimits;
  language: WorkerLanguage;
  draftHash: string | null;
  /** Source hash of each deployed version, by version number. */
  versions: Readonly<Record<number, string>>;
  /** The language of each deployed version, by version number. */
  versionLanguages: Readonly<Record<number, WorkerLanguage>>;
  latestVersion: number;
  /** `null` until the first deploy. */
  activeVersion: number | null;
}

export function workerStream(workerId: string): string {
  return `worker-${workerId}`;
}

export function validateWorkerSlug(slug: string): void {
  if (!WORKER_SLUG_PATTERN.test(slug)) {
    throw new DomainError(
      'invalid_slug',
      'A worker slug is 1–48 lowercase letters, digits or hyphens, starting and ending with a letter or digit.',
    );
  }
}

export function validateSource(source: string): void {
  if (Buffer.byteLength(source, 'utf8') > WORKER_SOURCE_MAX_BYTES) {
    throw new DomainError(
      'source_too_large',
      `A worker source is at most ${WORKER_SOURCE_MAX_BYTES} bytes (UTF-8).`,
    );
  }
}

/** Shape only; the cron syntax itself is checked by the application's parser before the command. */
export function validateTriggers(triggers: WorkerTriggers): WorkerTriggers {
  const events = [...new Set(triggers.events)];
  if (events.length > MAX_EVENT_TRIGGERS) {
    throw new DomainError(
      'invalid_triggers',
      `A worker listens to at most ${MAX_EVENT_TRIGGERS} event types.`,
    );
  }
  const bad = events.find((type) => !EVENT_TYPE_PATTERN.test(type));
  if (bad !== undefined) {
    throw new DomainError(
      'invalid_triggers',
      `"${bad}" is not an event type: 1–64 letters and digits, starting with an upper-case letter.`,
    );
  }
  const cron = triggers.cron === null ? null : triggers.cron.trim();
  if (cron !== null && (cron.length === 0 || cron.length > CRON_MAX_LENGTH)) {
    throw new DomainError('invalid_cron', `A cron expression is 1–${CRON_MAX_LENGTH} characters, or null.`);
  }
  return { events: events.sort(), http: triggers.http === true, cron };
}

export function validateLanguage(language: string): WorkerLanguage {
  if (!(WORKER_LANGUAGES as readonly string[]).includes(language)) {
    throw new DomainError('invalid_language', 'A worker is written in "javascript" or "typescript".');
  }
  return language as WorkerLanguage;
}

export function validateLimits(limits: WorkerLimits, max: Required<WorkerLimits>): WorkerLimits {
  const out: WorkerLimits = {};
  for (const key of LIMIT_KEYS) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < LIMIT_MINIMA[key] || value > max[key]) {
      throw new DomainError(
        'invalid_limits',
        `limits.${key} is a whole number from ${LIMIT_MINIMA[key]} to ${max[key]} (the installation's maximum).`,
        `limits.${key}`,
      );
    }
    out[key] = value;
  }
  return out;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const notFound = () => new DomainError('worker_not_found', 'The worker does not exist.');

export const worker: Decider<WorkerCommand, WorkerState, WorkerEvent> = {
  initialState: {
    status: 'none',
    workerId: null,
    projectId: null,
    slug: '',
    name: '',
    triggers: { events: [], http: false, cron: null },
    enabled: true,
    limits: {},
    language: 'javascript',
    draftHash: null,
    versions: {},
    versionLanguages: {},
    latestVersion: 0,
    activeVersion: null,
  },

  decide(command, state) {
    if (command.type === 'CreateWorker') {
      if (state.status !== 'none') throw new DomainError('worker_exists', 'The worker already exists.');
      validateWorkerSlug(command.slug);
      return [
        {
          type: 'WorkerCreated',
          data: {
            workerId: command.workerId,
            projectId: command.projectId,
            name: normalizeName(command.name),
            slug: command.slug,
            triggers: validateTriggers(command.triggers),
            enabled: command.enabled,
            limits: validateLimits(command.limits, command.maxLimits),
            language: validateLanguage(command.language),
          },
        },
      ];
    }
    if (state.status !== 'live' || state.workerId === null || state.projectId === null) throw notFound();
    const ids = { workerId: state.workerId, projectId: state.projectId };
    switch (command.type) {
      case 'UpdateWorker': {
        const changes: Omit<
          Extract<WorkerEvent, { type: 'WorkerUpdated' }>['data'],
          'workerId' | 'projectId'
        > = {};
        if (command.name !== undefined) {
          const name = normalizeName(command.name);
          if (name !== state.name) changes.name = name;
        }
        if (command.language !== undefined) {
          const language = validateLanguage(command.language);
          if (language !== state.language) changes.language = language;
        }
        if (command.triggers !== undefined) {
          const triggers = validateTriggers(command.triggers);
          if (!sameJson(triggers, state.triggers)) changes.triggers = triggers;
        }
        if (command.enabled !== undefined && command.enabled !== state.enabled)
          changes.enabled = command.enabled;
        if (command.limits !== undefined) {
          const limits = validateLimits(command.limits, command.maxLimits);
          if (!sameJson(limits, state.limits)) changes.limits = limits;
        }
        if (Object.keys(changes).length === 0) return [];
        return [{ type: 'WorkerUpdated', data: { ...ids, ...changes } }];
      }
      case 'SaveDraft':
        validateSource(command.source);
        if (command.sourceHash === state.draftHash) return [];
        return [
          {
            type: 'WorkerDraftSaved',
            data: { ...ids, source: command.source, sourceHash: command.sourceHash },
          },
        ];
      case 'DeployWorker': {
        validateSource(command.source);
        // Deploying what already runs, in the same language, changes nothing.
        const active = state.activeVersion;
        if (
          active !== null &&
          state.versions[active] === command.sourceHash &&
          state.versionLanguages[active] === state.language
        )
          return [];
        return [
          {
            type: 'WorkerDeployed',
            data: {
              ...ids,
              version: state.latestVersion + 1,
              source: command.source,
              sourceHash: command.sourceHash,
              language: state.language,
            },
          },
        ];
      }
      case 'ActivateVersion':
        if (!Object.hasOwn(state.versions, command.version)) {
          throw new DomainError('version_not_found', `The worker has no version ${command.version}.`);
        }
        if (state.activeVersion === command.version) return [];
        return [{ type: 'WorkerVersionActivated', data: { ...ids, version: command.version } }];
      case 'DeleteWorker':
        return [{ type: 'WorkerDeleted', data: { ...ids, slug: state.slug } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'WorkerCreated':
        return {
          ...state,
          status: 'live',
          workerId: event.data.workerId,
          projectId: event.data.projectId,
          slug: event.data.slug,
          name: event.data.name,
          triggers: event.data.triggers,
          enabled: event.data.enabled,
          limits: event.data.limits,
          language: languageOf(event.data.language),
        };
      case 'WorkerUpdated': {
        const { name, language, triggers, enabled, limits } = event.data;
        return {
          ...state,
          ...(name === undefined ? {} : { name }),
          ...(language === undefined ? {} : { language }),
          ...(triggers === undefined ? {} : { triggers }),
          ...(enabled === undefined ? {} : { enabled }),
          ...(limits === undefined ? {} : { limits }),
        };
      }
      case 'WorkerDraftSaved':
        return { ...state, draftHash: event.data.sourceHash };
      case 'WorkerDeployed':
        return {
          ...state,
          versions: { ...state.versions, [event.data.version]: event.data.sourceHash },
          versionLanguages: {
            ...state.versionLanguages,
            [event.data.version]: languageOf(event.data.language),
          },
          latestVersion: event.data.version,
          activeVersion: event.data.version,
        };
      case 'WorkerVersionActivated':
        return { ...state, activeVersion: event.data.version };
      case 'WorkerDeleted':
        return { ...state, status: 'deleted' };
    }
  },
};
