import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../infrastructure/eventStore/sqliteEventStore.ts';
import { runCli } from '../kit/cli.ts';
import { send } from '../kit/http.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Tamper evidence: events a real server stored are chained, and `m3m audit verify` finds a row edited, deleted,
 * inserted or moved in the SQLite file with another tool, at its position, or says "intact" with the count.
 */
describe('m3m audit verify', () => {
  let server: TestServer;
  let dir: string;
  let positions: number[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'm3m-chain-'));
    server = await startTestServer({ dataDir: join(dir, 'live') });
    const root = await server.signInAsRoot();
    for (const name of ['One', 'Two', 'Three']) {
      const r = await send(server, 'POST', '/api/v1/projects', {
        token: root,
        body: { name, slug: name.toLowerCase() },
      });
      expect(r.status, r.text).toBe(201);
    }
    const db = new DatabaseSync(join(server.dataDir, 'events.sqlite'));
    positions = (
      db.prepare('SELECT position FROM events ORDER BY position').all() as { position: number }[]
    ).map((r) => r.position);
    db.close();
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of the server's data directory, edited by `tamper` with plain SQL as any SQLite tool would. */
  const copyOf = (from: string, name: string): string => {
    const copy = join(dir, name);
    rmSync(copy, { recursive: true, force: true });
    mkdirSync(copy);
    const source = new DatabaseSync(join(from, 'events.sqlite'));
    source.exec(`VACUUM INTO '${join(copy, 'events.sqlite')}'`);
    source.close();
    return copy;
  };
  const tampered = (name: string, tamper: (db: DatabaseSync) => void): string => {
    const copy = copyOf(server.dataDir, name);
    const db = new DatabaseSync(join(copy, 'events.sqlite'));
    tamper(db);
    db.close();
    return copy;
  };
  const verify = (dataDir: string) => runCli(['audit', 'verify'], { M3M_DATA_DIR: dataDir });

  it('says intact, with the count of events checked, for the file a server wrote', async () => {
    const run = await verify(server.dataDir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`intact: ${positions.length} events checked`);
    expect(run.stdout).toMatch(/head link: [0-9a-f]{64}/);
  });

  /** Replaces `from` by `to` (as many bytes) inside a row's compact body (ADR 0024), as a hex editor would. */
  const editBytes = (db: DatabaseSync, position: number, from: string, to: string) => {
    const row = db.prepare('SELECT body FROM events WHERE position = ?').get(position) as {
      body: Uint8Array;
    };
    const bytes = Buffer.from(row.body);
    const at = bytes.indexOf(from);
    expect(at).toBeGreaterThanOrEqual(0);
    bytes.write(to, at);
    db.prepare('UPDATE events SET body = ? WHERE position = ?').run(bytes, position);
  };

  it('finds an edited event at its position', async () => {
    const store = openSqliteEventStore({ path: join(server.dataDir, 'events.sqlite') });
    const all = await store.readAll({ limit: 10_000 });
    await store.close();
    const target = all.find(
      (e) => e.type === 'ProjectCreated' && (e.data as { name?: string }).name === 'Two',
    )!.position;
    const copy = tampered('edited', (db) => editBytes(db, target, 'Two', 'Owt'));
    const run = await verify(copy);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`broken at position ${target}`);
    expect(run.stderr).toContain('altered');
    expect(run.stderr).toContain(`${positions.indexOf(target)} events before it are intact`);
    expect(run.stderr).toContain('(event_chain_broken)');
  });

  it('finds an edited source in the metadata, and metadata that no longer decodes', async () => {
    const target = positions[2]!;
    const store = openSqliteEventStore({ path: join(server.dataDir, 'events.sqlite') });
    const [event] = await store.readAll({ fromPosition: target - 1, limit: 1 });
    await store.close();
    const { source } = event!.metadata;
    const copy = tampered('metadata', (db) => editBytes(db, target, source, 'x'.repeat(source.length)));
    const run = await verify(copy);
    expect(run.stderr).toContain(`broken at position ${target}`);
    const garbled = tampered('garbled', (db) =>
      db.prepare('UPDATE events SET body = ? WHERE position = ?').run(Buffer.from([8, 200]), target),
    );
    expect((await verify(garbled)).stderr).toContain(`broken at position ${target}`);
  });

  it('finds a deleted event, an inserted one, and two swapped in the order', async () => {
    const deleted = await verify(
      tampered('deleted', (db) => db.prepare('DELETE FROM events WHERE position = ?').run(positions[3]!)),
    );
    expect(deleted.stderr).toContain(
      `broken at position ${positions[3]}: the event at position ${positions[3]} was deleted`,
    );

    const inserted = await verify(
      tampered('inserted', (db) =>
        db.exec(
          `INSERT INTO events (position, stream, revision, type, body)
           SELECT position + 1000000, stream, revision + 1000, type, body FROM events WHERE position = ${positions[1]}`,
        ),
      ),
    );
    expect(inserted.stderr).toContain(`broken at position ${positions[1]! + 1000000}`);
    expect(inserted.stderr).toContain('not stored by m3m');

    const [a, b] = [positions[5]!, positions[6]!];
    const swapped = await verify(
      tampered('swapped', (db) => {
        db.exec(`UPDATE events SET position = -1 WHERE position = ${a}`);
        db.exec(`UPDATE events SET position = ${a} WHERE position = ${b}`);
        db.exec(`UPDATE events SET position = ${b} WHERE position = -1`);
      }),
    );
    expect(swapped.stderr).toContain(`broken at position ${a}`);
  });

  it('links the events of a store from before the chain once, then guards them', async () => {
    const copy = tampered('old', (db) => db.exec('DROP TABLE event_chain'));
    // Opening the store (any command or the server does) links what is there.
    const store = openSqliteEventStore({ path: join(copy, 'events.sqlite') });
    await store.close();
    const run = await verify(copy);
    expect(run.stdout).toContain(`intact: ${positions.length} events checked`);
    const later = copyOf(copy, 'old-edited');
    const edited = new DatabaseSync(join(later, 'events.sqlite'));
    edited.exec(`UPDATE events SET type = type + 1 WHERE position = ${positions[0]}`);
    edited.close();
    expect((await verify(later)).stderr).toContain(`broken at position ${positions[0]}`);
  });

  it('keeps the chain across appends from two processes on one file', async () => {
    const path = join(copyOf(server.dataDir, 'two'), 'events.sqlite');
    const [first, second] = [openSqliteEventStore({ path }), openSqliteEventStore({ path })];
    const meta = {
      actorId: null,
      correlationId: 'c',
      causationId: null,
      source: 'cli',
      schemaVersion: 1,
      timestamp: new Date().toISOString(),
    };
    for (let i = 0; i < 5; i++) {
      await first.append('test-a', [{ type: 'Ticked', data: { i }, metadata: meta }], {
        expectedRevision: 'any',
      });
      await second.append('test-b', [{ type: 'Ticked', data: { i }, metadata: meta }], {
        expectedRevision: 'any',
      });
    }
    expect(first.verifyChain()).toMatchObject({ intact: true, checked: positions.length + 10 });
    await first.close();
    await second.close();
  });
});
