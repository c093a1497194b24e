import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditFilters, auditFilter } from '../../application/audit/queries.ts';
import { AUDIT_LOG, AUDIT_LOG_SPEC } from '../../application/audit/readModel.ts';
import type { LogQuery } from '../../application/ports/readStore.ts';
import { logFindSql } from '../../infrastructure/readStore/sqliteLogTable.ts';
import { send } from '../kit/http.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

/**
 * The audit filters never scan the audit log: SQLite's own plan for each statement a page runs (the page
 * newest first, and the two "is there more" probes) searches an index of the audit projection's log table
 * (ADR 29), or its primary key (the position). Plans, not timings: `npm run bench:audit` measures.
 */
describe('audit query plans', () => {
  let server: TestServer;
  let db: DatabaseSync;
  let projectId: string;

  beforeAll(async () => {
    server = await startTestServer();
    const root = await server.signInAsRoot();
    const created = await send(server, 'POST', '/api/v1/projects', {
      token: root,
      body: { name: 'Plans', slug: 'plans' },
    });
    projectId = created.json.id as string;
    await server.m3m.runner.waitFor(await server.headPosition());
    db = new DatabaseSync(join(server.dataDir, 'read.sqlite'), { readOnly: true });
  });
  afterAll(async () => {
    db.close();
    await server.close();
  });

  /** SQLite's plan lines for the audit table of one `find`. */
  const plan = (query: LogQuery) => {
    const statement = logFindSql(AUDIT_LOG, AUDIT_LOG_SPEC, query);
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.params) as {
      detail: string;
    }[];
    return rows.map((r) => r.detail);
  };

  const cases: [string, () => AuditFilters][] = [
    ['by actor (email)', () => ({ actor: ROOT.email })],
    ['by actor (the CLI)', () => ({ actor: 'cli' })],
    ['by type', () => ({ types: ['ProjectCreated'] })],
    ['by several types', () => ({ types: ['ProjectCreated', 'UserSignedIn'] })],
    ['by stream', () => ({ stream: `project-${projectId}` })],
    [
      'by project and time range',
      () => ({ projectId, since: '2020-01-01T00:00:00.000Z', until: '2099-01-01T00:00:00.000Z' }),
    ],
    ['by time range', () => ({ since: '2020-01-01T00:00:00.000Z', until: '2099-01-01T00:00:00.000Z' })],
    ['by position range', () => ({ fromPosition: 1, toPosition: 5 })],
  ];

  for (const [name, filters] of cases) {
    it(`${name}: every statement of a page searches an index`, async () => {
      const filter = await auditFilter(server.m3m.readStore, filters());
      expect(filter).not.toBeNull();
      // Several types are asked one type at a time (auditPage merges them), so each statement has one.
      const { types, position } = filter!;
      const perStatement = types ? types.map((type) => ({ ...filter!.where, type })) : [filter!.where];
      for (const where of perStatement) {
        const statements = [
          plan({ where, position, order: -1, limit: 101 }),
          // The probes for older and newer entries than the page (auditPage's nextCursor / prevCursor).
          plan({ where, position: { ...position, $lt: 10 }, order: 1, limit: 1 }),
          plan({ where, position: { ...position, $gt: 10 }, order: 1, limit: 1 }),
        ];
        for (const lines of statements) {
          const text = lines.join('\n');
          const onTable = lines.filter((line) => line.includes('rs_audit_log'));
          expect(onTable.length, text).toBeGreaterThan(0);
          for (const line of onTable) {
            expect(line, text).toMatch(/^SEARCH .*USING (COVERING INDEX|INDEX|(INTEGER )?PRIMARY KEY)/);
          }
        }
        // Without a time range the matches come in index order, newest first: nothing sorts them. A time range
        // is searched in a time index and its matches sorted (ADR 21).
        if (!('since' in filters())) expect(statements[0]!.join('\n')).not.toContain('TEMP B-TREE');
      }
    });
  }

  it('a full scan shows up as one (the check would catch a missing index)', () => {
    // No filter at all: the newest entries are the end of the table.
    const lines = plan({ order: -1, limit: 100 });
    expect(lines.some((line) => /^SCAN/.test(line))).toBe(true);
  });
});
