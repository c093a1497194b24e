import { hash } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { EventRows, PreparedRow } from './sqliteEventRows.ts';

/**
 * Tamper evidence for the SQLite event store (ADR 0021): every stored event has a SHA-256 link in
 * `event_chain`, computed over the previous link and the event as stored (position, stream, revision, id, type,
 * data and metadata as JSON text), written in the append's transaction. In a file with compact rows (ADR 0024)
 * the texts are those the rows decode to, which are the texts of the event appended. Editing, deleting, inserting or reordering a
 * row in the file with anything but m3m breaks the chain at that position, and `verifyEventChain` names it.
 * A plain hash has no secret: someone who edits a row and recomputes every later link is caught only by
 * comparing the head link with one noted earlier (`m3m audit verify` prints it).
 */

export const CHAIN_SCHEMA = `
  CREATE TABLE IF NOT EXISTS event_chain (
    position INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
  ) STRICT;
`;

/** The link before the first event. */
export const GENESIS: Uint8Array = new Uint8Array(32);

export interface ChainedRow {
  position: number;
  stream_id: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
}

/** The link of `row` after `previous`. */
export function chainLink(previous: Uint8Array, row: ChainedRow): Uint8Array {
  return linkOf(
    previous,
    JSON.stringify([row.position, row.stream_id, row.revision, row.id, row.type, row.data, row.metadata]),
  );
}

/** Where a link's input (previous link, then the event's JSON text as UTF-8) is put together: grown as needed. */
let scratch = Buffer.allocUnsafe(16 * 1024);

/** SHA-256 of `previous` followed by `text` in UTF-8, as `createHash().update(previous).update(text)` gives. */
function linkOf(previous: Uint8Array, text: string): Uint8Array {
  const most = 32 + text.length * 3;
  if (most > scratch.length) scratch = Buffer.allocUnsafe(Math.max(most, scratch.length * 2));
  scratch.set(previous, 0);
  const end = previous.length + scratch.write(text, previous.length, 'utf8');
  return new Uint8Array(hash('sha256', scratch.subarray(0, end), 'buffer'));
}

/** Writes links in the caller's transaction, each after the one before. */
export class ChainWriter {
  readonly #last: StatementSync;
  readonly #insert: StatementSync;

  constructor(db: DatabaseSync) {
    this.#last = db.prepare('SELECT hash FROM event_chain ORDER BY position DESC LIMIT 1');
    this.#insert = db.prepare('INSERT INTO event_chain (position, hash) VALUES (?, ?)');
  }

  /** The newest link: read inside the write transaction, since another process may have appended. */
  head(): Uint8Array {
    const row = this.#last.get() as { hash: Uint8Array } | undefined;
    return row ? row.hash : GENESIS;
  }

  /** Links `row` after `previous`; returns the new link. */
  linkRow(previous: Uint8Array, row: ChainedRow): Uint8Array {
    const link = chainLink(previous, row);
    this.#insert.run(row.position, link);
    return link;
  }

  /** Links a row just inserted at `position` (the same link as `linkRow` of that row as stored). */
  link(
    previous: Uint8Array,
    position: number,
    streamId: string,
    revision: number,
    row: PreparedRow,
  ): Uint8Array {
    const link = linkOf(
      previous,
      JSON.stringify([position, streamId, revision, row.id, row.type, row.dataText, row.metadataText]),
    );
    this.#insert.run(position, link);
    return link;
  }
}

/**
 * Creates the chain table; when it is new and the file already holds events (a store from before the chain),
 * links them all, once: the chain then vouches for them from that moment on. Runs in its own write
 * transaction, so two processes opening the same old file do not both link it.
 */
export function openChain(db: DatabaseSync, rows: EventRows): ChainWriter {
  db.exec('BEGIN IMMEDIATE');
  try {
    const exists = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_chain'")
      .get();
    if (!exists) {
      db.exec(CHAIN_SCHEMA);
      const writer = new ChainWriter(db);
      let previous = GENESIS;
      for (let after = 0; ; ) {
        const page = rows.chained(after, 1000);
        for (const row of page) previous = writer.linkRow(previous, row);
        if (page.length < 1000) break;
        after = page.at(-1)!.position;
      }
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
  return new ChainWriter(db);
}

export type ChainVerdict =
  | { intact: true; checked: number; head: string }
  | {
      intact: false;
      /** Links that held, from the first event up to the break. */
      checked: number;
      /** The first position whose event or place in the order is not the one m3m stored. */
      position: number;
      problem: 'altered' | 'deleted' | 'inserted';
      detail: string;
    };

/**
 * Walks the chain from the first event, a page at a time, and names the first position where it breaks: an
 * event whose content or position changed (`altered`), a linked event that is gone (`deleted`), or an event
 * without a link (`inserted` into the file by something else than m3m).
 */
export function verifyEventChain(db: DatabaseSync, rows: EventRows): ChainVerdict {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_chain'")
    .get();
  if (!exists)
    return { intact: false, checked: 0, position: 0, problem: 'deleted', detail: 'the chain table is gone' };
  const unlinked = db.prepare(
    'SELECT MIN(position) AS position FROM events WHERE position NOT IN (SELECT position FROM event_chain)',
  );
  const firstUnlinked = (unlinked.get() as { position: number | null }).position;
  let previous = GENESIS;
  let checked = 0;
  const broken = (position: number, problem: 'altered' | 'deleted', detail: string): ChainVerdict =>
    firstUnlinked !== null && firstUnlinked < position
      ? inserted(firstUnlinked, checked)
      : { intact: false, checked, position, problem, detail };
  for (let after = 0; ; ) {
    const links = rows.links(after, 1000);
    for (const { position, hash, event } of links) {
      if (firstUnlinked !== null && firstUnlinked < position) return inserted(firstUnlinked, checked);
      if (event === null) {
        return broken(position, 'deleted', `the event at position ${position} was deleted`);
      }
      const expected = chainLink(previous, event);
      if (!Buffer.from(expected).equals(Buffer.from(hash))) {
        return broken(
          position,
          'altered',
          `the event at position ${position} (${event.type} in ${event.stream_id}) or its place in the order was altered`,
        );
      }
      previous = hash;
      checked += 1;
    }
    if (links.length < 1000) break;
    after = links.at(-1)!.position;
  }
  if (firstUnlinked !== null) return inserted(firstUnlinked, checked);
  return { intact: true, checked, head: Buffer.from(previous).toString('hex') };
}

function inserted(position: number, checked: number): ChainVerdict {
  return {
    intact: false,
    checked,
    position,
    problem: 'inserted',
    detail: `the event at position ${position} was not stored by m3m (it has no link in the chain)`,
  };
}
