import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Flags } from '@oclif/core';
import {
  AUDIT_PAGE_MAX,
  type AuditEntry,
  type AuditFilters,
  auditPage,
  encodeAuditCursor,
} from '../../application/audit/queries.ts';
import { loadCommandConfig, openForCommand } from '../bootstrap.ts';
import { requireExistingData } from '../dataDir.ts';
import { refuseCommand } from '../refusal.ts';

const FOLLOW_POLL_MS = 500;

export default class Audit extends Command {
  static override description =
    'Show the audit log: who did what and when, every secret redacted. Reads the data directory (or the configured stores) whether or not the server runs.';
  static override examples = [
    '<%= config.bin %> audit --actor root@example.com --type UserSignedIn',
    '<%= config.bin %> audit --project 0b6f… --since 2026-01-01 --json > audit.ndjson',
    '<%= config.bin %> audit --follow',
  ];
  static override flags = {
    actor: Flags.string({
      description: 'a user id or email, or cli, system, api-key, worker:<id>',
    }),
    type: Flags.string({ description: 'an event type (repeatable, or comma-separated)', multiple: true }),
    stream: Flags.string({ description: 'a stream id (project-<id>, user-<id>…)' }),
    project: Flags.string({ description: 'a project id' }),
    since: Flags.string({ description: 'from this time (ISO 8601, inclusive)' }),
    until: Flags.string({ description: 'up to this time (ISO 8601, inclusive)' }),
    limit: Flags.integer({
      description: `entries to show, newest first (at most ${AUDIT_PAGE_MAX})`,
      default: 50,
      min: 1,
      max: AUDIT_PAGE_MAX,
    }),
    json: Flags.boolean({
      description: 'one JSON entry per line (NDJSON) instead of a table',
      default: false,
    }),
    follow: Flags.boolean({
      description: 'then keep printing new entries as they come (Ctrl-C stops)',
      default: false,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Audit);
    const time = (flag: 'since' | 'until'): string | undefined => {
      const given = flags[flag];
      if (given === undefined) return undefined;
      const parsed = Date.parse(given);
      if (!/^\d{4}-\d{2}-\d{2}/.test(given) || Number.isNaN(parsed)) {
        refuseCommand(
          this,
          'validation_failed',
          `--${flag} must be an ISO 8601 time (2026-01-31 or 2026-01-31T12:00:00Z).`,
          2,
        );
      }
      return new Date(parsed).toISOString();
    };
    const types = (flags.type ?? [])
      .flatMap((t) => t.split(','))
      .map((t) => t.trim())
      .filter(Boolean);
    const since = time('since');
    const until = time('until');
    const filters: AuditFilters = {
      ...(flags.actor !== undefined ? { actor: flags.actor } : {}),
      ...(types.length ? { types } : {}),
      ...(flags.stream !== undefined ? { stream: flags.stream } : {}),
      ...(flags.project !== undefined ? { projectId: flags.project } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
    };
    const { config, logger } = loadCommandConfig(this, { log: { level: 'warn' } });
    requireExistingData(this, config);
    const m3m = await openForCommand(this, config, logger);
    let stopped = false;
    const stop = () => {
      stopped = true;
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      // The audit read model is a projection: bring it up to the store's head (a server may be down or behind).
      await m3m.runner.catchUp();
      const reader = { readStore: m3m.readStore, eventStore: m3m.eventStore, schemas: m3m.commands.schemas };
      const first = await auditPage(reader, filters, { limit: flags.limit });
      const print = (entries: readonly AuditEntry[]) => {
        for (const entry of entries) this.log(flags.json ? JSON.stringify(entry) : row(entry));
      };
      if (!flags.json) this.log(header());
      // Newest first, as the API lists; followed entries come after, oldest of them first, as they happen.
      print(first.items);
      if (!flags.follow) return;
      // On standard error, so that --json output stays pure NDJSON.
      this.logToStderr('Following new entries (Ctrl-C stops)…');
      let last = first.items[0]?.position ?? 0;
      while (!stopped) {
        await sleep(FOLLOW_POLL_MS);
        await m3m.runner.catchUp();
        const newer = await auditPage(reader, filters, {
          cursor: encodeAuditCursor({ after: last }),
          limit: AUDIT_PAGE_MAX,
        });
        const ascending = [...newer.items].reverse();
        print(ascending);
        last = ascending.at(-1)?.position ?? last;
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await m3m.close();
    }
  }
}

const COLUMNS = [
  ['position', 10],
  ['time', 24],
  ['type', 28],
  ['actor', 36],
  ['stream', 0],
] as const;

function header(): string {
  return COLUMNS.map(([name, width]) => name.toUpperCase().padEnd(width))
    .join(' ')
    .trimEnd();
}

function row(entry: AuditEntry): string {
  const cells = [String(entry.position), entry.time, entry.type, entry.actor.display, entry.stream];
  return cells
    .map((cell, i) => {
      const width = COLUMNS[i]![1];
      if (width === 0) return cell;
      return cell.length > width ? `${cell.slice(0, width - 1)}…` : cell.padEnd(width);
    })
    .join(' ')
    .trimEnd();
}
