import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_QUOTAS, MAX_QUOTA, type QuotaDefaults } from '../domain/projectQuotas.ts';
import { DEFAULT_MAX_CONCURRENCY, MAX_WORKER_CONCURRENCY } from '../domain/worker.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type EventStoreConfig =
  | { kind: 'sqlite' }
  | { kind: 'postgres'; url: string }
  | { kind: 'kurrentdb'; url: string };
export type ReadStoreConfig =
  | { kind: 'sqlite' }
  | { kind: 'postgres'; url: string }
  | { kind: 'mongodb'; url: string; database: string };

export interface Config {
  /** Absolute path; the embedded stores keep their files here. */
  dataDir: string;
  /** Absolute path of the built admin SPA (may not exist when the UI has not been built). */
  webDir: string;
  http: { host: string; port: number };
  /** `format: 'auto'` is pretty when standard output is a terminal, JSON otherwise. */
  log: { level: LogLevel; format?: LogFormat };
  eventStore: EventStoreConfig;
  readStore: ReadStoreConfig;
  auth: AuthConfig;
  /** Encrypts secret environment variables. `null`: generated on first start into `<dataDir>/secrets-key`. */
  secretsKey: Buffer | null;
  plugins: PluginsConfig;
  triggers: TriggersConfig;
  workers: WorkersConfig;
  webhooks: WebhooksConfig;
}

export interface WebhooksConfig {
  /** Development only: endpoints may have `http:` URLs. */
  allowHttp: boolean;
  /** Delays (ms) before each retry of a message; once they are used up the message is failed. */
  retrySchedule: number[];
}

export interface WorkersConfig {
  /** Defaults for every worker, and the most a worker may set for itself (`concurrency`: only the most). */
  limits: { memoryMb: number; cpuMs: number; wallMs: number; concurrency: number };
  /** Invocation records (with their logs) are kept this many days. */
  logRetentionDays: number;
  /** Tests only: let `m3m.http.fetch` reach loopback and private addresses. */
  allowPrivateFetch: boolean;
  /** Each project's quotas unless a global admin set its own (issue 12, item 5). */
  quotas: QuotaDefaults;
  /** CPU ms per minute per worker, and the circuit breaker (issue 12, item 7). */
  guard: { cpuBudgetMsPerMinute: number; breakerThreshold: number; coolDownMs: number };
  /** One project's share of the runtime (issue 12, item 6). */
  share: { maxConcurrent: number; maxIsolates: number; emitsPerInvocation: number; emitsPerMinute: number };
  /** Runtime processes shared by the projects, and those for projects that crashed one (issue 12, item 4). */
  runtime: { processes: number; quarantineProcesses: number };
  /** `/health` turns `degraded` when a consumer of `$all` is this many positions behind its head. */
  healthMaxLag: number;
}

export interface PluginsConfig {
  /** Absolute path of a folder of extra plugins (each `<name>/index.ts` or `.js`), or `null`. */
  dir: string | null;
  /** The `M3M_*` variables that are not m3m's own (e.g. `M3M_SMTP_URL`): what plugins read in `setup`. */
  settings: Readonly<Record<string, string>>;
}

export interface TriggersConfig {
  /** Invocations of one worker for one event before the delivery is recorded as failed. */
  eventMaxAttempts: number;
  /** Events emitted by workers deeper than this (event → worker → event …) are not delivered. */
  eventDepthLimit: number;
  /** How long a process's lease (its claims on deliveries) holds without renewal; see application/processLease.ts. */
  processLeaseMs: number;
}

export interface AuthConfig {
  /** `null`: generated on first start into `<dataDir>/jwt-secret`. */
  jwtSecret: string | null;
  /** Wrong `X-Api-Key` values one client address may send in 10 minutes before it gets 429s. */
  apiKeyMaxFailures: number;
  tokenTtlSeconds: number;
  bcryptRounds: number;
}

export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

const DEFAULT_WEB_DIR = fileURLToPath(new URL('../web/dist', import.meta.url));
const KURRENTDB_SCHEMES = ['kurrentdb://', 'kurrentdb+discover://', 'esdb://', 'esdb+discover://'];
const MONGO_SCHEMES = ['mongodb://', 'mongodb+srv://'];
const POSTGRES_SCHEMES = ['postgres://', 'postgresql://'];

const integerBetween = (min: number, max: number) =>
  z
    .string()
    .refine(
      (v) => /^\d{1,13}$/.test(v) && Number(v) >= min && Number(v) <= max,
      `must be an integer between ${min} and ${max}`,
    )
    .transform(Number);

const DURATION = /^(\d{1,9})(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
function durationMs(text: string): number {
  const [, amount, unit] = DURATION.exec(text)!;
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

const urlWithScheme = (schemes: string[]) =>
  z.string().refine((v) => schemes.some((s) => v.startsWith(s)), `must start with ${schemes.join(', ')}`);

// Each variable owns its parsing and its message, so adding one is a line here plus a line in toConfig.
const Env = z.object({
  M3M_DATA_DIR: z.string().prefault('./data'),
  M3M_WEB_DIR: z.string().prefault(DEFAULT_WEB_DIR),
  M3M_HOST: z.string().prefault('127.0.0.1'),
  M3M_PORT: z
    .string()
    .refine((v) => /^\d{1,5}$/.test(v) && Number(v) <= 65535, 'must be an integer between 0 and 65535')
    .transform(Number)
    .prefault('3000'),
  M3M_LOG_LEVEL: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).prefault('info'),
  M3M_LOG_FORMAT: z.enum(LOG_FORMATS, `must be one of ${LOG_FORMATS.join(', ')}`).prefault('auto'),
  M3M_EVENT_STORE: z
    .enum(['sqlite', 'postgres', 'kurrentdb'], 'must be one of sqlite, postgres, kurrentdb')
    .prefault('sqlite'),
  M3M_KURRENTDB_URL: urlWithScheme(KURRENTDB_SCHEMES).optional(),
  M3M_READ_STORE: z
    .enum(['sqlite', 'postgres', 'mongodb'], 'must be one of sqlite, postgres, mongodb')
    .prefault('sqlite'),
  M3M_POSTGRES_URL: urlWithScheme(POSTGRES_SCHEMES).optional(),
  M3M_MONGO_URL: urlWithScheme(MONGO_SCHEMES).optional(),
  M3M_MONGO_DB: z
    .string()
    .regex(/^[^/\\. "$*<>:|?]{1,63}$/, 'must be a MongoDB database name (1-63 chars, no /\\. "$*<>:|?)')
    .prefault('m3m'),
  M3M_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  M3M_SECRETS_KEY: z
    .string()
    .refine(
      (v) => /^[A-Za-z0-9+/]{43}=$/.test(v) && Buffer.from(v, 'base64').length === 32,
      'must be 32 bytes in base64 (e.g. the output of: openssl rand -base64 32)',
    )
    .transform((v) => Buffer.from(v, 'base64'))
    .optional(),
  M3M_TOKEN_TTL_SECONDS: integerBetween(60, 31_536_000).prefault('43200'),
  M3M_BCRYPT_ROUNDS: integerBetween(4, 15).prefault('12'),
  M3M_PLUGINS_DIR: z.string().optional(),
  M3M_EVENT_MAX_ATTEMPTS: integerBetween(1, 100).prefault('5'),
  M3M_EVENT_DEPTH_LIMIT: integerBetween(1, 100).prefault('8'),
  M3M_PROCESS_LEASE_SECONDS: integerBetween(2, 3600).prefault('15'),
  M3M_WORKER_MEMORY_MB: integerBetween(8, 4096).prefault('128'),
  M3M_WORKER_CPU_MS: integerBetween(1, 600_000).prefault('1000'),
  M3M_WORKER_WALL_MS: integerBetween(1, 600_000).prefault('5000'),
  M3M_WORKER_MAX_CONCURRENCY: integerBetween(1, MAX_WORKER_CONCURRENCY).prefault(
    String(DEFAULT_MAX_CONCURRENCY),
  ),
  M3M_LOG_RETENTION_DAYS: integerBetween(1, 3650).prefault('7'),
  M3M_API_KEY_MAX_FAILURES: integerBetween(1, 1_000_000).prefault('20'),
  M3M_WORKER_CPU_BUDGET_MS: integerBetween(1, 3_600_000).prefault('20000'),
  M3M_WORKER_BREAKER_THRESHOLD: integerBetween(1, 1000).prefault('5'),
  M3M_WORKER_COOL_DOWN_MS: integerBetween(1000, 86_400_000).prefault('600000'),
  M3M_PROJECT_MAX_CONCURRENT: integerBetween(1, 10_000).prefault('8'),
  M3M_PROJECT_MAX_ISOLATES: integerBetween(1, 10_000).prefault('10'),
  M3M_RUNTIME_PROCESSES: integerBetween(1, 64).prefault('2'),
  M3M_RUNTIME_QUARANTINE_PROCESSES: integerBetween(0, 64).prefault('2'),
  M3M_PROJECT_EMITS_PER_INVOCATION: integerBetween(1, 1000).prefault('100'),
  M3M_PROJECT_EMITS_PER_MINUTE: integerBetween(1, 10_000_000).prefault('1000'),
  M3M_HEALTH_MAX_LAG: integerBetween(1, 1_000_000_000).prefault('1000'),
  M3M_QUOTA_DOCUMENTS: integerBetween(0, MAX_QUOTA).prefault(String(DEFAULT_QUOTAS.documents)),
  M3M_QUOTA_DOCUMENT_BYTES: integerBetween(0, MAX_QUOTA).prefault(String(DEFAULT_QUOTAS.documentBytes)),
  M3M_QUOTA_LOG_BYTES: integerBetween(0, MAX_QUOTA).prefault(String(DEFAULT_QUOTAS.logBytes)),
  M3M_ALLOW_PRIVATE_FETCH: z.enum(['true', 'false'], 'must be true or false').prefault('false'),
  M3M_WEBHOOKS_ALLOW_HTTP: z.enum(['true', 'false'], 'must be true or false').prefault('false'),
  M3M_WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .refine(
      (v) => v.split(',').every((d) => DURATION.test(d.trim())) && v.split(',').length <= 50,
      'must be a comma-separated list of at most 50 durations such as 5s,5m,30m,2h (units ms, s, m, h)',
    )
    .transform((v) => v.split(',').map((d) => durationMs(d.trim())))
    .prefault('5s,5m,30m,2h,5h,10h,10h'),
});

/** Variables whose value an error message must not repeat. */
const SECRET_VARIABLES = new Set(['M3M_JWT_SECRET', 'M3M_SECRETS_KEY']);

// Kept outside the zod object: zod skips object-level refinements once a field has failed, and a
// ConfigError should list every problem in one go.
const REQUIRED_WHEN: { variable: string; when: string; is: string }[] = [
  { variable: 'M3M_KURRENTDB_URL', when: 'M3M_EVENT_STORE', is: 'kurrentdb' },
  { variable: 'M3M_MONGO_URL', when: 'M3M_READ_STORE', is: 'mongodb' },
  { variable: 'M3M_POSTGRES_URL', when: 'M3M_EVENT_STORE', is: 'postgres' },
  { variable: 'M3M_POSTGRES_URL', when: 'M3M_READ_STORE', is: 'postgres' },
];

type ParsedEnv = z.output<typeof Env>;

function toConfig(env: ParsedEnv, pluginSettings: Record<string, string>): Config {
  return {
    dataDir: resolve(env.M3M_DATA_DIR),
    webDir: resolve(env.M3M_WEB_DIR),
    http: { host: env.M3M_HOST, port: env.M3M_PORT },
    log: { level: env.M3M_LOG_LEVEL, format: env.M3M_LOG_FORMAT },
    eventStore:
      env.M3M_EVENT_STORE === 'kurrentdb'
        ? { kind: 'kurrentdb', url: env.M3M_KURRENTDB_URL! }
        : env.M3M_EVENT_STORE === 'postgres'
          ? { kind: 'postgres', url: env.M3M_POSTGRES_URL! }
          : { kind: 'sqlite' },
    readStore:
      env.M3M_READ_STORE === 'mongodb'
        ? { kind: 'mongodb', url: env.M3M_MONGO_URL!, database: env.M3M_MONGO_DB }
        : env.M3M_READ_STORE === 'postgres'
          ? { kind: 'postgres', url: env.M3M_POSTGRES_URL! }
          : { kind: 'sqlite' },
    auth: {
      jwtSecret: env.M3M_JWT_SECRET ?? null,
      tokenTtlSeconds: env.M3M_TOKEN_TTL_SECONDS,
      bcryptRounds: env.M3M_BCRYPT_ROUNDS,
      apiKeyMaxFailures: env.M3M_API_KEY_MAX_FAILURES,
    },
    secretsKey: env.M3M_SECRETS_KEY ?? null,
    plugins: {
      dir: env.M3M_PLUGINS_DIR ? resolve(env.M3M_PLUGINS_DIR) : null,
      settings: pluginSettings,
    },
    triggers: {
      eventMaxAttempts: env.M3M_EVENT_MAX_ATTEMPTS,
      eventDepthLimit: env.M3M_EVENT_DEPTH_LIMIT,
      processLeaseMs: env.M3M_PROCESS_LEASE_SECONDS * 1000,
    },
    workers: {
      limits: {
        memoryMb: env.M3M_WORKER_MEMORY_MB,
        cpuMs: env.M3M_WORKER_CPU_MS,
        wallMs: env.M3M_WORKER_WALL_MS,
        // Only the most a worker may set: a worker that sets none runs its deliveries one at a time.
        concurrency: env.M3M_WORKER_MAX_CONCURRENCY,
      },
      logRetentionDays: env.M3M_LOG_RETENTION_DAYS,
      allowPrivateFetch: env.M3M_ALLOW_PRIVATE_FETCH === 'true',
      quotas: {
        documents: env.M3M_QUOTA_DOCUMENTS,
        documentBytes: env.M3M_QUOTA_DOCUMENT_BYTES,
        logBytes: env.M3M_QUOTA_LOG_BYTES,
      },
      guard: {
        cpuBudgetMsPerMinute: env.M3M_WORKER_CPU_BUDGET_MS,
        breakerThreshold: env.M3M_WORKER_BREAKER_THRESHOLD,
        coolDownMs: env.M3M_WORKER_COOL_DOWN_MS,
      },
      share: {
        maxConcurrent: env.M3M_PROJECT_MAX_CONCURRENT,
        maxIsolates: env.M3M_PROJECT_MAX_ISOLATES,
        emitsPerInvocation: env.M3M_PROJECT_EMITS_PER_INVOCATION,
        emitsPerMinute: env.M3M_PROJECT_EMITS_PER_MINUTE,
      },
      runtime: {
        processes: env.M3M_RUNTIME_PROCESSES,
        quarantineProcesses: env.M3M_RUNTIME_QUARANTINE_PROCESSES,
      },
      healthMaxLag: env.M3M_HEALTH_MAX_LAG,
    },
    webhooks: {
      allowHttp: env.M3M_WEBHOOKS_ALLOW_HTTP === 'true',
      retrySchedule: env.M3M_WEBHOOK_RETRY_SCHEDULE,
    },
  };
}

/** Every `M3M_*` variable m3m itself does not read: plugins' settings (blank and `M3M_TEST_*` ones left out). */
function pluginSettingsOf(env: NodeJS.ProcessEnv): Record<string, string> {
  const own = new Set(Object.keys(Env.shape));
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('M3M_') || key.startsWith('M3M_TEST_') || own.has(key) || !value?.trim()) continue;
    settings[key] = value.trim();
  }
  return settings;
}

// Connection strings carry passwords; an error message ends up in terminals and logs.
function display(value: string): string {
  return JSON.stringify(value.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@'));
}

/** Reads the M3M_* variables; throws a ConfigError naming every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Unset and blank are the same thing: `M3M_PORT=` in a compose file means "use the default".
  const raw: Record<string, string> = {};
  for (const key of Object.keys(Env.shape)) {
    const value = env[key]?.trim();
    if (value) raw[key] = value;
  }

  const issues: ConfigIssue[] = REQUIRED_WHEN.filter((r) => raw[r.when] === r.is && !raw[r.variable])
    .filter((r, i, all) => all.findIndex((other) => other.variable === r.variable) === i)
    .map((r) => ({ variable: r.variable, message: `is required when ${r.when} is ${r.is}` }));
  const result = Env.safeParse(raw);
  if (result.success && issues.length === 0) return toConfig(result.data, pluginSettingsOf(env));

  for (const issue of result.error?.issues ?? []) {
    const variable = String(issue.path[0] ?? '(environment)');
    const value = raw[variable];
    issues.push({
      variable,
      message:
        value === undefined || SECRET_VARIABLES.has(variable)
          ? issue.message
          : `${issue.message} (got ${display(value)})`,
    });
  }
  const order = Object.keys(Env.shape);
  throw new ConfigError(issues.sort((a, b) => order.indexOf(a.variable) - order.indexOf(b.variable)));
}
