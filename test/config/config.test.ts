import { isAbsolute, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../infrastructure/config.ts';
import { createLogger } from '../../infrastructure/logging.ts';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has sensible defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      dataDir: resolve('./data'),
      webDir: resolve(import.meta.dirname, '../../web/dist'),
      http: { host: '127.0.0.1', port: 3000 },
      log: { level: 'info', format: 'auto' },
      eventStore: { kind: 'sqlite' },
      readStore: { kind: 'sqlite' },
      auth: { jwtSecret: null, tokenTtlSeconds: 43200, bcryptRounds: 12, apiKeyMaxFailures: 20 },
      secretsKey: null,
      plugins: { dir: null, settings: {} },
      triggers: { eventMaxAttempts: 5, eventDepthLimit: 8, processLeaseMs: 15_000 },
      workers: {
        limits: { memoryMb: 128, cpuMs: 1000, wallMs: 5000, concurrency: 8 },
        logRetentionDays: 7,
        allowPrivateFetch: false,
        quotas: { documents: 100_000, documentBytes: 268_435_456, logBytes: 67_108_864 },
        guard: { cpuBudgetMsPerMinute: 20_000, breakerThreshold: 5, coolDownMs: 600_000 },
        share: { maxConcurrent: 8, maxIsolates: 10, emitsPerInvocation: 100, emitsPerMinute: 1000 },
        runtime: { processes: 2, quarantineProcesses: 2 },
        healthMaxLag: 1000,
      },
      webhooks: {
        allowHttp: false,
        retrySchedule: [5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      },
    });
    expect(isAbsolute(config.dataDir)).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      M3M_DATA_DIR: 'var/m3m',
      M3M_WEB_DIR: '/srv/m3m-ui',
      M3M_HOST: '0.0.0.0',
      M3M_PORT: '8080',
      M3M_LOG_LEVEL: 'debug',
      M3M_LOG_FORMAT: 'pretty',
      M3M_EVENT_STORE: 'kurrentdb',
      M3M_KURRENTDB_URL: 'kurrentdb://localhost:2113?tls=false',
      M3M_READ_STORE: 'mongodb',
      M3M_MONGO_URL: 'mongodb+srv://cluster.example.net',
      M3M_MONGO_DB: 'm3m_prod',
      M3M_JWT_SECRET: 'x'.repeat(40),
      M3M_TOKEN_TTL_SECONDS: '3600',
      M3M_BCRYPT_ROUNDS: '10',
      M3M_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
      M3M_PLUGINS_DIR: 'extra-plugins',
      M3M_EVENT_MAX_ATTEMPTS: '3',
      M3M_EVENT_DEPTH_LIMIT: '4',
      M3M_PROCESS_LEASE_SECONDS: '30',
      M3M_WORKER_MEMORY_MB: '64',
      M3M_WORKER_CPU_MS: '250',
      M3M_WORKER_WALL_MS: '2000',
      M3M_WORKER_MAX_CONCURRENCY: '4',
      M3M_LOG_RETENTION_DAYS: '30',
      M3M_ALLOW_PRIVATE_FETCH: 'true',
      M3M_QUOTA_DOCUMENTS: '500',
      M3M_WORKER_CPU_BUDGET_MS: '5000',
      M3M_WORKER_BREAKER_THRESHOLD: '3',
      M3M_WORKER_COOL_DOWN_MS: '60000',
      M3M_HEALTH_MAX_LAG: '50',
      M3M_PROJECT_MAX_CONCURRENT: '3',
      M3M_PROJECT_MAX_ISOLATES: '4',
      M3M_RUNTIME_PROCESSES: '4',
      M3M_RUNTIME_QUARANTINE_PROCESSES: '0',
      M3M_PROJECT_EMITS_PER_INVOCATION: '10',
      M3M_PROJECT_EMITS_PER_MINUTE: '50',
      M3M_QUOTA_DOCUMENT_BYTES: '10000000000',
      M3M_QUOTA_LOG_BYTES: '0',
      M3M_WEBHOOKS_ALLOW_HTTP: 'true',
      M3M_WEBHOOK_RETRY_SCHEDULE: '100ms, 2s,1m,1h',
      M3M_SMTP_FROM: ' shop@example.com ',
      M3M_TEST_MONGO_URL: 'mongodb://test',
      M3M_BLANK: ' ',
      OTHER: 'not ours',
    });
    expect(config).toEqual({
      dataDir: resolve('var/m3m'),
      webDir: '/srv/m3m-ui',
      http: { host: '0.0.0.0', port: 8080 },
      log: { level: 'debug', format: 'pretty' },
      eventStore: { kind: 'kurrentdb', url: 'kurrentdb://localhost:2113?tls=false' },
      readStore: { kind: 'mongodb', url: 'mongodb+srv://cluster.example.net', database: 'm3m_prod' },
      auth: { jwtSecret: 'x'.repeat(40), tokenTtlSeconds: 3600, bcryptRounds: 10, apiKeyMaxFailures: 20 },
      secretsKey: Buffer.alloc(32, 7),
      plugins: { dir: resolve('extra-plugins'), settings: { M3M_SMTP_FROM: 'shop@example.com' } },
      triggers: { eventMaxAttempts: 3, eventDepthLimit: 4, processLeaseMs: 30_000 },
      workers: {
        limits: { memoryMb: 64, cpuMs: 250, wallMs: 2000, concurrency: 4 },
        logRetentionDays: 30,
        allowPrivateFetch: true,
        quotas: { documents: 500, documentBytes: 10_000_000_000, logBytes: 0 },
        guard: { cpuBudgetMsPerMinute: 5000, breakerThreshold: 3, coolDownMs: 60_000 },
        share: { maxConcurrent: 3, maxIsolates: 4, emitsPerInvocation: 10, emitsPerMinute: 50 },
        runtime: { processes: 4, quarantineProcesses: 0 },
        healthMaxLag: 50,
      },
      webhooks: { allowHttp: true, retrySchedule: [100, 2000, 60_000, 3_600_000] },
    });
  });

  it('allows port 0 for tests and treats blank values as unset', () => {
    expect(loadConfig({ M3M_PORT: '0' }).http.port).toBe(0);
    expect(loadConfig({ M3M_PORT: '', M3M_LOG_LEVEL: '  ' })).toMatchObject({
      http: { port: 3000 },
      log: { level: 'info', format: 'auto' },
    });
  });

  it('puts both stores on one PostgreSQL URL, and needs it once when either uses it', () => {
    const url = 'postgresql://m3m:pw@db.internal:5432/m3m';
    expect(
      loadConfig({ M3M_EVENT_STORE: 'postgres', M3M_READ_STORE: 'postgres', M3M_POSTGRES_URL: url }),
    ).toMatchObject({
      eventStore: { kind: 'postgres', url },
      readStore: { kind: 'postgres', url },
    });
    expect(loadConfig({ M3M_READ_STORE: 'postgres', M3M_POSTGRES_URL: url }).eventStore).toEqual({
      kind: 'sqlite',
    });
    const missing = (() => {
      try {
        loadConfig({ M3M_EVENT_STORE: 'postgres', M3M_READ_STORE: 'postgres' });
      } catch (error) {
        return error as ConfigError;
      }
    })();
    expect(missing?.issues).toEqual([
      { variable: 'M3M_POSTGRES_URL', message: 'is required when M3M_EVENT_STORE is postgres' },
    ]);
  });

  it('never repeats a PostgreSQL password in an error', () => {
    expect(() => loadConfig({ M3M_POSTGRES_URL: 'mysql://m3m:s3cret@h/db' })).toThrow(/m3m:\*\*\*@h/);
    expect(() => loadConfig({ M3M_POSTGRES_URL: 'mysql://m3m:s3cret@h/db' })).not.toThrow(/s3cret/);
  });

  it('accepts every KurrentDB connection string scheme', () => {
    for (const url of ['kurrentdb://h', 'kurrentdb+discover://h', 'esdb://h', 'esdb+discover://h']) {
      expect(loadConfig({ M3M_EVENT_STORE: 'kurrentdb', M3M_KURRENTDB_URL: url }).eventStore).toEqual({
        kind: 'kurrentdb',
        url,
      });
    }
  });

  it.each([
    ['M3M_PORT', 'abc', 'M3M_PORT: must be an integer between 0 and 65535 (got "abc")'],
    ['M3M_PORT', '65536', 'M3M_PORT: must be an integer between 0 and 65535 (got "65536")'],
    ['M3M_PORT', '-1', 'M3M_PORT: must be an integer between 0 and 65535 (got "-1")'],
    ['M3M_PORT', '80.5', 'M3M_PORT: must be an integer between 0 and 65535 (got "80.5")'],
    ['M3M_LOG_LEVEL', 'loud', 'M3M_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent'],
    ['M3M_EVENT_STORE', 'mysql', 'M3M_EVENT_STORE: must be one of sqlite, postgres, kurrentdb (got "mysql")'],
    ['M3M_READ_STORE', 'redis', 'M3M_READ_STORE: must be one of sqlite, postgres, mongodb (got "redis")'],
    ['M3M_POSTGRES_URL', 'mysql://h/db', 'M3M_POSTGRES_URL: must start with postgres://, postgresql://'],
    ['M3M_KURRENTDB_URL', 'http://h:2113', 'M3M_KURRENTDB_URL: must start with kurrentdb://'],
    ['M3M_MONGO_URL', 'postgres://h', 'M3M_MONGO_URL: must start with mongodb://, mongodb+srv://'],
    ['M3M_MONGO_DB', 'bad.name', 'M3M_MONGO_DB: must be a MongoDB database name'],
    ['M3M_WORKER_MEMORY_MB', '4', 'M3M_WORKER_MEMORY_MB: must be an integer between 8 and 4096 (got "4")'],
    [
      'M3M_LOG_RETENTION_DAYS',
      '0',
      'M3M_LOG_RETENTION_DAYS: must be an integer between 1 and 3650 (got "0")',
    ],
    ['M3M_ALLOW_PRIVATE_FETCH', 'yes', 'M3M_ALLOW_PRIVATE_FETCH: must be true or false (got "yes")'],
    [
      'M3M_WEBHOOK_RETRY_SCHEDULE',
      '5s,soon',
      'M3M_WEBHOOK_RETRY_SCHEDULE: must be a comma-separated list of at most 50 durations such as 5s,5m,30m,2h (units ms, s, m, h) (got "5s,soon")',
    ],
    ['M3M_BCRYPT_ROUNDS', '3', 'M3M_BCRYPT_ROUNDS: must be an integer between 4 and 15 (got "3")'],
    ['M3M_BCRYPT_ROUNDS', '16', 'M3M_BCRYPT_ROUNDS: must be an integer between 4 and 15 (got "16")'],
    ['M3M_EVENT_MAX_ATTEMPTS', '0', 'M3M_EVENT_MAX_ATTEMPTS: must be an integer between 1 and 100 (got "0")'],
    [
      'M3M_EVENT_DEPTH_LIMIT',
      'deep',
      'M3M_EVENT_DEPTH_LIMIT: must be an integer between 1 and 100 (got "deep")',
    ],
    ['M3M_TOKEN_TTL_SECONDS', '1h', 'M3M_TOKEN_TTL_SECONDS: must be an integer between 60 and 31536000'],
    ['M3M_JWT_SECRET', 'too-short', 'M3M_JWT_SECRET: must be at least 32 characters'],
    ['M3M_SECRETS_KEY', Buffer.alloc(16).toString('base64'), 'M3M_SECRETS_KEY: must be 32 bytes in base64'],
    ['M3M_SECRETS_KEY', `${'!'.repeat(43)}=`, 'M3M_SECRETS_KEY: must be 32 bytes in base64'],
  ])('rejects %s=%s and names the variable', (variable, value, message) => {
    const error = configError({ [variable]: value });
    expect(error.message).toContain(message);
    expect(error.issues.map((i) => i.variable)).toEqual([variable]);
  });

  it('requires a KurrentDB URL when the event store is kurrentdb', () => {
    expect(configError({ M3M_EVENT_STORE: 'kurrentdb' }).message).toContain(
      'M3M_KURRENTDB_URL: is required when M3M_EVENT_STORE is kurrentdb',
    );
  });

  it('requires a MongoDB URL when the read store is mongodb', () => {
    expect(configError({ M3M_READ_STORE: 'mongodb' }).message).toContain(
      'M3M_MONGO_URL: is required when M3M_READ_STORE is mongodb',
    );
  });

  it('lists every failing variable at once, in declaration order', () => {
    const error = configError({ M3M_LOG_LEVEL: 'loud', M3M_PORT: 'abc', M3M_EVENT_STORE: 'kurrentdb' });
    expect(error.issues.map((i) => i.variable)).toEqual(['M3M_PORT', 'M3M_LOG_LEVEL', 'M3M_KURRENTDB_URL']);
    expect(error.message.split('\n')).toHaveLength(4);
  });

  it('never echoes the secrets key', () => {
    const key = `${Buffer.alloc(31, 9).toString('base64')}`;
    const error = configError({ M3M_SECRETS_KEY: key });
    expect(error.message).toContain('M3M_SECRETS_KEY: must be 32 bytes in base64');
    expect(error.message).not.toContain(key);
  });

  it('never echoes the JWT secret', () => {
    const error = configError({ M3M_JWT_SECRET: 'short-but-secret-value' });
    expect(error.message).toContain('M3M_JWT_SECRET: must be at least 32 characters');
    expect(error.message).not.toContain('short-but-secret-value');
  });

  it('never echoes a password from a connection string', () => {
    const error = configError({ M3M_READ_STORE: 'mongodb', M3M_MONGO_URL: 'http://admin:hunter2@db:27017' });
    expect(error.message).toContain('http://admin:***@db:27017');
    expect(error.message).not.toContain('hunter2');
  });
});

describe('createLogger', () => {
  it('redacts credentials', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ log: { level: 'info' } }, sink);
    logger.info({
      req: { headers: { authorization: 'Bearer abc.def', 'x-api-key': 'k-123', host: 'h' } },
      user: { email: 'a@b.c', password: 'pw-1', passwordHash: '$2a$xyz' },
      webhook: { secret: 'whsec_1', token: 't-1', apiKey: 'k-2' },
    });
    const entry = JSON.parse(lines.join(''));
    expect(entry.req.headers).toEqual({ authorization: '[redacted]', 'x-api-key': '[redacted]', host: 'h' });
    expect(entry.user).toEqual({ email: 'a@b.c', password: '[redacted]', passwordHash: '[redacted]' });
    expect(entry.webhook).toEqual({ secret: '[redacted]', token: '[redacted]', apiKey: '[redacted]' });
  });

  it('honours the configured level', () => {
    expect(createLogger({ log: { level: 'warn' } }).level).toBe('warn');
  });
});
