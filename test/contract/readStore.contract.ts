import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Doc,
  DuplicateKeyError,
  type Filter,
  InvalidCursorError,
  type ReadStore,
} from '../../application/ports/readStore.ts';
import { upsertAll } from '../../application/ports/upsertAll.ts';

export interface OpenedReadStore {
  store: ReadStore;
  cleanup: () => Promise<void>;
}

/** Names unique per test run: a shared Mongo server keeps whatever an earlier run left behind. */
const runId = randomBytes(4).toString('hex');
let counter = 0;
const uniqueName = (base: string) => `${base}_${runId}_${(counter++).toString(36)}`;

const ids = (docs: readonly Doc[]) => docs.map((d) => d.id);

/** The behaviour every ReadStore adapter must share; each adapter's test file runs it. */
export function readStoreContract(name: string, open: () => Promise<OpenedReadStore>): void {
  describe(`ReadStore contract: ${name}`, () => {
    let opened: OpenedReadStore;
    let store: ReadStore;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    describe('documents', () => {
      it('inserts and gets a document; a missing id gives null', async () => {
        const users = store.collection(uniqueName('users'));
        const doc = { id: 'u1', name: 'Ada', tags: ['x'], profile: { age: 36, admin: true }, note: null };
        await users.insert(doc);
        expect(await users.get('u1')).toEqual(doc);
        expect(await users.get('nope')).toBeNull();
      });

      it('refuses a second insert with the same id and keeps the first', async () => {
        const users = store.collection(uniqueName('users'));
        await users.insert({ id: 'u1', name: 'Ada' });
        await expect(users.insert({ id: 'u1', name: 'Bob' })).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await users.get('u1')).toEqual({ id: 'u1', name: 'Ada' });
      });

      it('upsert creates, then replaces the whole document', async () => {
        const users = store.collection(uniqueName('users'));
        await users.upsert({ id: 'u1', name: 'Ada', age: 36 });
        await users.upsert({ id: 'u1', name: 'Ada L.' });
        expect(await users.get('u1')).toEqual({ id: 'u1', name: 'Ada L.' });
      });

      it('upsertAll (upsertMany where the engine has it) writes every document in order, a later one replacing an earlier', async () => {
        const name = uniqueName('entries');
        const docs = Array.from({ length: 250 }, (_, i) => ({
          id: `e${i}`,
          n: i,
          nested: { even: i % 2 === 0 },
        }));
        await store.collection(name).upsert({ id: 'e0', n: -1, stale: true });
        // Across the engine's batches (SQLite: a hundred rows per statement), and inside a transaction.
        await store.transaction((session) =>
          upsertAll(session.collection(name), [...docs, { id: 'e5', n: 'last' }, { id: 'e150', n: 'again' }]),
        );
        const entries = store.collection(name);
        expect(await entries.count()).toBe(250);
        expect(await entries.get('e0')).toEqual({ id: 'e0', n: 0, nested: { even: true } });
        expect(await entries.get('e5')).toEqual({ id: 'e5', n: 'last' });
        expect(await entries.get('e150')).toEqual({ id: 'e150', n: 'again' });
        expect(await entries.get('e249')).toEqual({ id: 'e249', n: 249, nested: { even: false } });
        await upsertAll(entries, []);
        expect(await entries.count()).toBe(250);
      });

      it('patch applies $set (dotted too), $inc and $unset and says whether a document was there', async () => {
        const goals = store.collection(uniqueName('goals'));
        await goals.insert({ id: 'g1', name: 'signups', count: 2, stale: true, meta: { a: 1 } });
        const changed = await goals.patch('g1', {
          $set: { name: 'sign-ups', 'meta.b': 'two', 'stats.last': '2025-01-01' },
          $inc: { count: 3, 'stats.total': 1.5 },
          $unset: ['stale'],
        });
        expect(changed).toBe(true);
        expect(await goals.get('g1')).toEqual({
          id: 'g1',
          name: 'sign-ups',
          count: 5,
          meta: { a: 1, b: 'two' },
          stats: { last: '2025-01-01', total: 1.5 },
        });
        expect(await goals.patch('missing', { $inc: { count: 1 } })).toBe(false);
        expect(await goals.get('missing')).toBeNull();
      });

      it('patch with upsert creates { id } plus the update', async () => {
        const goals = store.collection(uniqueName('goals'));
        expect(await goals.patch('g1', { $set: { name: 'x' }, $inc: { count: 2 } }, { upsert: true })).toBe(
          true,
        );
        expect(await goals.get('g1')).toEqual({ id: 'g1', name: 'x', count: 2 });
        expect(await goals.patch('g1', { $inc: { count: 2 } }, { upsert: true })).toBe(true);
        expect(await goals.get('g1')).toEqual({ id: 'g1', name: 'x', count: 4 });
      });

      it('refuses updates of the id and conflicting paths', async () => {
        const goals = store.collection(uniqueName('goals'));
        await goals.insert({ id: 'g1', count: 1 });
        await expect(goals.patch('g1', { $set: { id: 'g2' } })).rejects.toThrow();
        await expect(goals.patch('g1', { $set: { count: 1 }, $inc: { count: 1 } })).rejects.toThrow();
        await expect(goals.patch('g1', { $set: { a: {} }, $unset: ['a.b'] })).rejects.toThrow();
        expect(await goals.get('g1')).toEqual({ id: 'g1', count: 1 });
      });

      it('deletes one or many and counts', async () => {
        const items = store.collection(uniqueName('items'));
        for (let i = 0; i < 6; i++) await items.insert({ id: `i${i}`, even: i % 2 === 0 });
        expect(await items.count()).toBe(6);
        expect(await items.count({ even: true })).toBe(3);
        expect(await items.delete('i1')).toBe(true);
        expect(await items.delete('i1')).toBe(false);
        expect(await items.deleteMany({ even: true })).toBe(3);
        expect(ids((await items.find({}, { sort: { id: 1 } })).items)).toEqual(['i3', 'i5']);
        expect(await items.count()).toBe(2);
      });

      it('treats a collection never written to as empty', async () => {
        const ghost = store.collection(uniqueName('ghost'));
        expect(await ghost.get('x')).toBeNull();
        expect(await ghost.find()).toEqual({ items: [], nextCursor: null });
        expect(await ghost.count()).toBe(0);
        expect(await ghost.delete('x')).toBe(false);
        expect(await ghost.deleteMany({})).toBe(0);
        expect(await ghost.patch('x', { $set: { a: 1 } })).toBe(false);
      });
    });

    describe('find', () => {
      const people: Doc[] = [
        {
          id: 'p1',
          name: 'Ada',
          age: 36,
          active: true,
          team: { name: 'core' },
          born: '1815-12-10',
          nick: null,
        },
        {
          id: 'p2',
          name: 'Bob',
          age: 25,
          active: false,
          team: { name: 'web' },
          born: '1990-02-01T10:00:00.000Z',
        },
        {
          id: 'p3',
          name: 'Cy',
          age: 41,
          active: true,
          team: { name: 'core' },
          born: '1984-07-30T00:00:00.000Z',
        },
        { id: 'p4', name: 'Di', age: '41', active: false, born: '2001-05-05T12:30:00.000Z', nick: 'd' },
        {
          id: 'p5',
          name: 'Eve',
          age: 19,
          active: true,
          team: { name: 'ops' },
          born: '2006-01-01T00:00:00.000Z',
        },
      ];
      const filled = async () => {
        const c = store.collection(uniqueName('people'));
        for (const p of people) await c.insert(p);
        return c;
      };
      const matching = async (filter: Filter) => {
        const c = await filled();
        return ids((await c.find(filter, { sort: { id: 1 } })).items);
      };

      it('matches equality, dotted paths and booleans', async () => {
        expect(await matching({ name: 'Bob' })).toEqual(['p2']);
        expect(await matching({ 'team.name': 'core' })).toEqual(['p1', 'p3']);
        expect(await matching({ active: true })).toEqual(['p1', 'p3', 'p5']);
        expect(await matching({ active: false, 'team.name': 'web' })).toEqual(['p2']);
        expect(await matching({ age: 41 })).toEqual(['p3']);
        expect(await matching({ age: '41' })).toEqual(['p4']);
        expect(await matching({ id: 'p4' })).toEqual(['p4']);
      });

      it('matches null against null and missing alike; $ne: null only present values', async () => {
        expect(await matching({ nick: null })).toEqual(['p1', 'p2', 'p3', 'p5']);
        expect(await matching({ 'team.name': null })).toEqual(['p4']);
        expect(await matching({ nick: { $ne: null } })).toEqual(['p4']);
      });

      it('matches $in (null meaning missing too; empty matching nothing) and $ne (missing counts as different)', async () => {
        expect(await matching({ name: { $in: ['Ada', 'Eve', 'Zed'] } })).toEqual(['p1', 'p5']);
        expect(await matching({ nick: { $in: ['d', null] } })).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
        expect(await matching({ name: { $in: [] } })).toEqual([]);
        expect(await matching({ 'team.name': { $ne: 'core' } })).toEqual(['p2', 'p4', 'p5']);
        expect(await matching({ nick: { $ne: 'd' } })).toEqual(['p1', 'p2', 'p3', 'p5']);
      });

      it('matches numeric ranges, comparing numbers with numbers only', async () => {
        expect(await matching({ age: { $gt: 25 } })).toEqual(['p1', 'p3']);
        expect(await matching({ age: { $gte: 25, $lt: 41 } })).toEqual(['p1', 'p2']);
        expect(await matching({ age: { $lte: 25 } })).toEqual(['p2', 'p5']);
        expect(await matching({ age: { $gt: 0 }, active: true })).toEqual(['p1', 'p3', 'p5']);
      });

      it('matches ranges on ISO date strings', async () => {
        expect(await matching({ born: { $gte: '1990-01-01T00:00:00.000Z' } })).toEqual(['p2', 'p4', 'p5']);
        expect(await matching({ born: { $gt: '1980', $lt: '2000' } })).toEqual(['p2', 'p3']);
        expect(await matching({ name: { $gte: 'B', $lt: 'D' } })).toEqual(['p2', 'p3']);
      });

      it('sorts by several fields in both directions, then by id', async () => {
        const c = await filled();
        await c.insert({ id: 'p0', name: 'Zed', age: 25, active: true, team: { name: 'web' } });
        const byTeamThenAge = await c.find({ active: true }, { sort: { 'team.name': 1, age: -1 } });
        expect(ids(byTeamThenAge.items)).toEqual(['p3', 'p1', 'p5', 'p0']);
        expect(byTeamThenAge.nextCursor).toBeNull();
        const byAgeDesc = await c.find({ 'team.name': { $ne: null } }, { sort: { age: -1 } });
        expect(ids(byAgeDesc.items)).toEqual(['p3', 'p1', 'p0', 'p2', 'p5']);
        const tiesById = await c.find({ active: true }, { sort: { active: 1 } });
        expect(ids(tiesById.items)).toEqual(['p0', 'p1', 'p3', 'p5']);
      });

      it('limits, and findOne returns the first match or null', async () => {
        const c = await filled();
        const page = await c.find({}, { sort: { name: -1 }, limit: 2 });
        expect(ids(page.items)).toEqual(['p5', 'p4']);
        expect(page.nextCursor).toEqual(expect.any(String));
        expect((await c.findOne({ 'team.name': 'core' }))?.id).toMatch(/^p[13]$/);
        expect(await c.findOne({ name: 'Nobody' })).toBeNull();
      });

      it('rejects unknown operators', async () => {
        const c = await filled();
        // biome-ignore lint/suspicious/noExplicitAny: deliberately outside the port's types
        await expect(c.find({ name: { $regex: 'A' } } as any)).rejects.toThrow();
      });
    });

    it('bounds a page without a limit at 1000 and continues from its cursor', async () => {
      const name = uniqueName('many');
      await store.transaction(async (session) => {
        for (let i = 0; i < 1001; i++)
          await session.collection(name).insert({ id: `m${String(i).padStart(4, '0')}` });
      });
      const first = await store.collection(name).find();
      expect(first.items).toHaveLength(1000);
      const rest = await store.collection(name).find({}, { cursor: first.nextCursor });
      expect(ids(rest.items)).toEqual(['m1000']);
      expect(rest.nextCursor).toBeNull();
    });

    it('refuses a cursor it did not hand out with InvalidCursorError, whatever its shape', async () => {
      const c = store.collection(uniqueName('forged'));
      await c.insert({ id: 'a', n: 1 });
      await c.insert({ id: 'b', n: 2 });
      const real = (await c.find({}, { sort: { n: 1 }, limit: 1 })).nextCursor!;
      const forged = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
      const cursors = [
        'garbage',
        'e30', // {}
        forged(null),
        forged([1, 2]),
        forged({ k: ['n', 'id'], v: [{ $gt: 1 }, 'a'] }),
        forged({ k: ['n', 'id'], v: [1] }),
        forged({ k: ['id'], v: [{}] }),
        '%%%',
      ];
      for (const cursor of cursors) {
        await expect(c.find({}, { sort: { n: 1 }, cursor }), cursor).rejects.toBeInstanceOf(
          InvalidCursorError,
        );
      }
      // A real cursor replayed against another order is refused too, not silently misread.
      await expect(c.find({}, { sort: { n: -1 }, cursor: real })).rejects.toBeInstanceOf(InvalidCursorError);
    });

    describe('cursor pagination', () => {
      type Row = Doc & { group?: number | null; rank: number };
      // Inserted out of id order; 9 rows have a null or missing group, so that page boundaries fall
      // inside that run in both directions.
      const rows: Row[] = Array.from({ length: 25 }, (_, i) => {
        const row: Row = { id: `d${String((i * 7) % 25).padStart(2, '0')}`, rank: Math.floor(i / 5) % 3 };
        if (i % 3 !== 0) row.group = i % 4;
        else if (i % 2 === 0) row.group = null;
        return row;
      });
      const cmp = (a: number | null | undefined, b: number | null | undefined) => (a ?? -1) - (b ?? -1);

      const pageThrough = async (sort: Record<string, 1 | -1>) => {
        const c = store.collection<Row>(uniqueName('paged'));
        for (const row of rows) await c.insert(row);
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: Awaited<ReturnType<typeof c.find>> = await c.find({}, { sort, limit: 7, cursor });
          seen.push(...ids(page.items));
          cursor = page.nextCursor;
          pages++;
        } while (cursor && pages < 10);
        return { seen, pages };
      };

      it('visits every document once, in order, on a non-unique ascending key with missing values', async () => {
        const expected = [...rows].sort((a, b) => cmp(a.group, b.group) || a.id.localeCompare(b.id));
        const { seen, pages } = await pageThrough({ group: 1 });
        expect(seen).toEqual(ids(expected));
        expect(pages).toBe(4);
      });

      it('visits every document once, in order, with a descending key then an ascending one', async () => {
        const expected = [...rows].sort(
          (a, b) => cmp(b.group, a.group) || a.rank - b.rank || a.id.localeCompare(b.id),
        );
        const { seen } = await pageThrough({ group: -1, rank: 1 });
        expect(seen).toEqual(ids(expected));
      });

      it('visits every document once when a sort field mixes missing, null, numbers and strings', async () => {
        const c = store.collection(uniqueName('mixed'));
        const values: unknown[] = [
          7,
          '7',
          null,
          undefined,
          -1.5,
          'a',
          10,
          'B',
          0,
          undefined,
          '',
          2.25,
          null,
          'z',
        ];
        const docs = values.map((v, i) => {
          const doc: Doc = { id: `m${String(i).padStart(2, '0')}` };
          if (v !== undefined) doc.v = v;
          return doc;
        });
        for (const doc of docs) await c.insert(doc);
        // Both engines: missing/null first, then numbers, then strings (byte order); ties by id.
        const rank = (v: unknown) => (v === undefined || v === null ? 0 : typeof v === 'number' ? 1 : 2);
        const ascending = [...docs].sort((a, b) => {
          const [x, y] = [a.v, b.v];
          if (rank(x) !== rank(y)) return rank(x) - rank(y);
          if (rank(x) === 1) return (x as number) - (y as number) || a.id.localeCompare(b.id);
          if (rank(x) === 2) return x! < y! ? -1 : x! > y! ? 1 : a.id.localeCompare(b.id);
          return a.id.localeCompare(b.id);
        });
        for (const direction of [1, -1] as const) {
          const seen: string[] = [];
          let cursor: string | null = null;
          do {
            const page: Awaited<ReturnType<typeof c.find>> = await c.find(
              {},
              { sort: { v: direction }, limit: 3, cursor },
            );
            seen.push(...ids(page.items));
            cursor = page.nextCursor;
          } while (cursor);
          const expected =
            direction === 1
              ? ids(ascending)
              : ids(
                  [...ascending].sort((a, b) => {
                    const ia = ascending.indexOf(a);
                    const ib = ascending.indexOf(b);
                    // Descending by value, but ties stay by id ascending.
                    const same = rank(a.v) === rank(b.v) && (a.v ?? null) === (b.v ?? null);
                    return same ? a.id.localeCompare(b.id) : ib - ia;
                  }),
                );
          expect(seen).toEqual(expected);
        }
      });

      it('refuses to end a page on an object or array in a sort field, naming it', async () => {
        const c = store.collection(uniqueName('shapes'));
        await c.insert({ id: 'a', v: 1 });
        await c.insert({ id: 'b', v: { nested: true } });
        await c.insert({ id: 'c', v: 'x' });
        await expect(c.find({}, { sort: { id: 1, v: 1 }, limit: 2 })).resolves.toBeDefined();
        const byV = await c.find({ id: { $in: ['a', 'c'] } }, { sort: { v: 1 }, limit: 1 });
        expect(ids(byV.items)).toEqual(['a']);
        await expect(c.find({ id: 'b' }, { sort: { v: 1 }, limit: 1 })).resolves.toMatchObject({
          nextCursor: null,
        });
        await expect(c.find({ id: { $in: ['b', 'c'] } }, { sort: { v: -1 }, limit: 1 })).rejects.toThrow(/v/);
      });

      it('pages through a filtered query and refuses a cursor made for another sort', async () => {
        const c = store.collection<Row>(uniqueName('paged'));
        for (const row of rows) await c.insert(row);
        const first = await c.find({ rank: { $in: [1, 2] } }, { sort: { rank: -1 }, limit: 5 });
        const rest = await c.find(
          { rank: { $in: [1, 2] } },
          { sort: { rank: -1 }, cursor: first.nextCursor },
        );
        const all = [...first.items, ...rest.items];
        const expected = rows
          .filter((r) => r.rank === 1 || r.rank === 2)
          .sort((a, b) => b.rank - a.rank || a.id.localeCompare(b.id));
        expect(ids(all)).toEqual(ids(expected));
        expect(rest.nextCursor).toBeNull();
        await expect(c.find({}, { sort: { rank: 1 }, cursor: first.nextCursor })).rejects.toThrow();
      });
    });

    describe('unique indexes', () => {
      it('refuses a duplicate on insert, upsert and patch, and writes nothing', async () => {
        const name = uniqueName('accounts');
        await store.ensureIndexes(name, [{ fields: ['email'], unique: true }, { fields: ['createdAt'] }]);
        await store.ensureIndexes(name, [{ fields: ['email'], unique: true }]); // idempotent
        const c = store.collection(name);
        await c.insert({ id: 'a', email: 'a@x.io' });
        await c.insert({ id: 'b', email: 'b@x.io' });
        await expect(c.insert({ id: 'c', email: 'a@x.io' })).rejects.toBeInstanceOf(DuplicateKeyError);
        await expect(c.upsert({ id: 'b', email: 'a@x.io' })).rejects.toBeInstanceOf(DuplicateKeyError);
        await expect(c.patch('b', { $set: { email: 'a@x.io' } })).rejects.toBeInstanceOf(DuplicateKeyError);
        await expect(c.patch('d', { $set: { email: 'a@x.io' } }, { upsert: true })).rejects.toBeInstanceOf(
          DuplicateKeyError,
        );
        expect(await c.get('c')).toBeNull();
        expect(await c.get('d')).toBeNull();
        expect(await c.get('b')).toEqual({ id: 'b', email: 'b@x.io' });
        expect(await c.count()).toBe(2);
      });

      it('lets documents without the field in, and enforces compound keys as a whole', async () => {
        const name = uniqueName('slugs');
        await store.ensureIndexes(name, [{ fields: ['project', 'slug'], unique: true }]);
        const c = store.collection(name);
        await c.insert({ id: '1', project: 'p1', slug: 'home' });
        await c.insert({ id: '2', project: 'p2', slug: 'home' });
        await c.insert({ id: '3' });
        await c.insert({ id: '4' });
        await expect(c.insert({ id: '5', project: 'p1', slug: 'home' })).rejects.toBeInstanceOf(
          DuplicateKeyError,
        );
        expect(await c.count()).toBe(4);
      });
    });

    describe('index changes', () => {
      it('lets explicit nulls through a unique index, as missing fields, on every field of a compound key', async () => {
        const name = uniqueName('nullable');
        await store.ensureIndexes(name, [{ fields: ['email'], unique: true }]);
        await store.ensureIndexes(`${name}_pair`, [{ fields: ['project', 'slug'], unique: true }]);
        const c = store.collection(name);
        await c.insert({ id: '1', email: null });
        await c.insert({ id: '2', email: null });
        await c.insert({ id: '3' });
        await c.insert({ id: '4', email: 'a@x.io' });
        await expect(c.insert({ id: '5', email: 'a@x.io' })).rejects.toBeInstanceOf(DuplicateKeyError);
        const pair = store.collection(`${name}_pair`);
        await pair.insert({ id: '1', project: 'p', slug: null });
        await pair.insert({ id: '2', project: 'p', slug: null });
        await pair.insert({ id: '3', project: null, slug: 'home' });
        await pair.insert({ id: '4', project: null, slug: 'home' });
        await pair.insert({ id: '5', project: 'p', slug: 'home' });
        await expect(pair.insert({ id: '6', project: 'p', slug: 'home' })).rejects.toBeInstanceOf(
          DuplicateKeyError,
        );
      });

      it('replaces an index whose uniqueness changed instead of failing or keeping the old rule', async () => {
        const name = uniqueName('relaxed');
        await store.ensureIndexes(name, [{ fields: ['slug'], unique: true }]);
        const c = store.collection(name);
        await c.insert({ id: '1', slug: 'home' });
        await expect(c.insert({ id: '2', slug: 'home' })).rejects.toBeInstanceOf(DuplicateKeyError);

        await store.ensureIndexes(name, [{ fields: ['slug'] }]);
        await c.insert({ id: '2', slug: 'home' });
        await store.ensureIndexes(name, [{ fields: ['slug'] }]); // idempotent

        await c.delete('2');
        await store.ensureIndexes(name, [{ fields: ['slug'], unique: true }]);
        await expect(c.insert({ id: '3', slug: 'home' })).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await c.count()).toBe(1);
      });
    });

    describe('transactions', () => {
      it('commits every write and returns the callback result', async () => {
        const goals = uniqueName('goals');
        const checkpoints = uniqueName('checkpoints');
        const result = await store.transaction(async (session) => {
          await session.collection(goals).patch('g1', { $inc: { count: 1 } }, { upsert: true });
          expect((await session.collection(goals).get('g1'))?.count).toBe(1); // reads its own writes
          await session.collection(checkpoints).upsert({ id: 'goals', position: 42 });
          return 'done';
        });
        expect(result).toBe('done');
        expect(await store.collection(goals).get('g1')).toEqual({ id: 'g1', count: 1 });
        expect(await store.collection(checkpoints).get('goals')).toEqual({ id: 'goals', position: 42 });
      });

      it('writes nothing when the callback throws', async () => {
        const goals = uniqueName('goals');
        const checkpoints = uniqueName('checkpoints');
        await store.collection(goals).insert({ id: 'g1', count: 1 });
        const failure = store.transaction(async (session) => {
          await session.collection(goals).patch('g1', { $inc: { count: 1 } });
          await session.collection(goals).insert({ id: 'g2', count: 1 });
          await session.collection(checkpoints).upsert({ id: 'goals', position: 43 });
          throw new Error('projection failed');
        });
        await expect(failure).rejects.toThrow('projection failed');
        expect(await store.collection(goals).get('g1')).toEqual({ id: 'g1', count: 1 });
        expect(await store.collection(goals).get('g2')).toBeNull();
        expect(await store.collection(checkpoints).get('goals')).toBeNull();
      });

      it('keeps the work of transactions that run one after another', async () => {
        const counters = uniqueName('counters');
        await Promise.all(
          Array.from({ length: 20 }, () =>
            store.transaction(async (session) => {
              await session.collection(counters).patch('c', { $inc: { n: 1 } }, { upsert: true });
            }),
          ),
        );
        expect(await store.collection(counters).get('c')).toEqual({ id: 'c', n: 20 });
      });
    });

    it('loses no increment among 200 concurrent patches', async () => {
      const counters = store.collection(uniqueName('counters'));
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          counters.patch('hits', { $inc: { n: 1, sum: i } }, { upsert: true }),
        ),
      );
      expect(await counters.get('hits')).toEqual({ id: 'hits', n: 200, sum: (199 * 200) / 2 });
    });

    describe('log tables (ADR 29)', () => {
      const spec = { columns: ['kind', 'who', 'ts'], indexes: [['kind'], ['who'], ['kind', 'ts'], ['ts']] };
      const row = (position: number, kind: number, who: number, ts: number) => ({ position, kind, who, ts });
      const positions = (rows: readonly { position: number }[]) => rows.map((r) => r.position);

      it('appends rows and finds them by column, range and position, in either order', async () => {
        const name = uniqueName('log');
        await store.ensureLogTable(name, spec);
        const log = store.logTable(name, spec);
        expect(await log.find({ order: -1, limit: 10 })).toEqual([]);
        const rows = Array.from({ length: 600 }, (_, i) => row(i + 1, (i % 3) + 1, i % 7, 1000 + i));
        await log.append(rows.slice(0, 250));
        await store.transaction(async (session) => {
          await session.logTable(name, spec).append(rows.slice(250));
        });
        expect(await log.find({ order: 1, limit: 3 })).toEqual(rows.slice(0, 3));
        expect(positions(await log.find({ order: -1, limit: 3 }))).toEqual([600, 599, 598]);
        expect(positions(await log.find({ where: { kind: 2 }, order: -1, limit: 3 }))).toEqual([
          599, 596, 593,
        ]);
        expect(
          positions(
            await log.find({ where: { kind: 2, who: 0 }, position: { $lt: 500 }, order: -1, limit: 2 }),
          ),
        ).toEqual(
          positions(
            rows
              .filter((r) => r.kind === 2 && r.who === 0 && r.position < 500)
              .reverse()
              .slice(0, 2),
          ),
        );
        expect(
          positions(await log.find({ where: { ts: { $gte: 1100, $lte: 1102 } }, order: 1, limit: 10 })),
        ).toEqual([101, 102, 103]);
        expect(
          positions(await log.find({ position: { $gte: 10, $lte: 20, $gt: 18 }, order: 1, limit: 10 })),
        ).toEqual([19, 20]);
        expect(await log.find({ where: { kind: 9 }, order: 1, limit: 10 })).toEqual([]);
      });

      it('a row appended again at its position replaces the first; a transaction rolled back adds none', async () => {
        const name = uniqueName('log');
        const log = store.logTable(name, spec);
        await log.append([row(1, 1, 1, 1), row(2, 1, 1, 2)]);
        await log.append([row(2, 5, 5, 5)]);
        expect(await log.find({ order: 1, limit: 10 })).toEqual([row(1, 1, 1, 1), row(2, 5, 5, 5)]);
        await expect(
          store.transaction(async (session) => {
            await session.logTable(name, spec).append([row(3, 1, 1, 3)]);
            throw new Error('changed my mind');
          }),
        ).rejects.toThrow('changed my mind');
        expect(positions(await log.find({ order: 1, limit: 10 }))).toEqual([1, 2]);
        await expect(log.append([{ position: 4, kind: 1, who: 1 } as never])).rejects.toThrow();
        await expect(log.find({ where: { nope: 1 }, order: 1, limit: 1 })).rejects.toThrow();
      });

      it('is built bare, indexed later, dropped, listed and swapped like a collection', async () => {
        const live = uniqueName('log');
        const rebuild = `${live}__rebuild`;
        await store.ensureLogTable(live, spec);
        await store.logTable(live, spec).append([row(1, 1, 1, 1)]);
        await store.ensureLogTable(rebuild, spec, { withIndexes: false });
        await store.logTable(rebuild, spec).append([row(5, 2, 2, 5), row(6, 2, 3, 6)]);
        await store.ensureLogTable(rebuild, spec);
        await store.ensureLogTable(rebuild, spec); // twice: the indexes are there already
        expect(await store.listCollections()).toEqual(expect.arrayContaining([live, rebuild]));
        await store.swapCollections([{ from: rebuild, to: live }]);
        expect(await store.listCollections()).not.toContain(rebuild);
        const log = store.logTable(live, spec);
        expect(positions(await log.find({ where: { kind: 2 }, order: -1, limit: 10 }))).toEqual([6, 5]);
        // The next rebuild under the same name gets its own table and indexes.
        await store.ensureLogTable(rebuild, spec);
        await store.logTable(rebuild, spec).append([row(9, 1, 1, 9)]);
        expect(
          positions(await store.logTable(rebuild, spec).find({ where: { who: 1 }, order: 1, limit: 5 })),
        ).toEqual([9]);
        await store.dropCollection(live);
        expect(await log.find({ order: 1, limit: 10 })).toEqual([]);
      });
    });

    describe('collections', () => {
      it('lists and drops collections', async () => {
        const a = uniqueName('lists');
        await store.collection(a).insert({ id: '1' });
        expect(await store.listCollections()).toContain(a);
        await store.dropCollection(a);
        expect(await store.listCollections()).not.toContain(a);
        expect(await store.collection(a).count()).toBe(0);
        await store.dropCollection(a); // dropping what is not there is fine
      });

      it('swaps a rebuilt collection in: target replaced, source gone, indexes still enforced', async () => {
        const live = uniqueName('users');
        const rebuild = `${live}__rebuild`;
        await store.ensureIndexes(live, [{ fields: ['email'], unique: true }]);
        await store.collection(live).insert({ id: 'old', email: 'old@x.io' });

        await store.ensureIndexes(rebuild, [{ fields: ['email'], unique: true }]);
        await store.collection(rebuild).insert({ id: 'n1', email: 'a@x.io' });
        await store.collection(rebuild).insert({ id: 'n2', email: 'b@x.io' });
        await store.swapCollections([{ from: rebuild, to: live }]);

        const names = await store.listCollections();
        expect(names).toContain(live);
        expect(names).not.toContain(rebuild);
        expect(ids((await store.collection(live).find({}, { sort: { id: 1 } })).items)).toEqual(['n1', 'n2']);
        await expect(store.collection(live).insert({ id: 'n3', email: 'a@x.io' })).rejects.toBeInstanceOf(
          DuplicateKeyError,
        );

        // The next rebuild under the same name must get its own working index.
        await store.ensureIndexes(rebuild, [{ fields: ['email'], unique: true }]);
        await store.collection(rebuild).insert({ id: 'm1', email: 'a@x.io' });
        await expect(store.collection(rebuild).insert({ id: 'm2', email: 'a@x.io' })).rejects.toBeInstanceOf(
          DuplicateKeyError,
        );
        await store.ensureIndexes(live, [{ fields: ['email'], unique: true }]);
        await expect(store.collection(live).insert({ id: 'n4', email: 'b@x.io' })).rejects.toBeInstanceOf(
          DuplicateKeyError,
        );
      });

      it('swaps several at once; a pair whose source does not exist keeps its target', async () => {
        const a = uniqueName('a');
        const b = uniqueName('b');
        await store.collection(a).insert({ id: 'old-a' });
        await store.collection(b).insert({ id: 'old-b' });
        await store.collection(`${a}__next`).insert({ id: 'new-a' });
        await store.swapCollections([
          { from: `${a}__next`, to: a },
          { from: `${b}__next`, to: b },
        ]);
        expect(ids((await store.collection(a).find()).items)).toEqual(['new-a']);
        expect(ids((await store.collection(b).find()).items)).toEqual(['old-b']);
        expect(await store.listCollections()).not.toContain(`${a}__next`);
      });

      it('a swap cut off half-way and repeated, or repeated after it completed, loses nothing', async () => {
        const names = [uniqueName('s1'), uniqueName('s2'), uniqueName('s3')];
        const pairs = names.map((to) => ({ from: `${to}__rebuild`, to }));
        for (const to of names) {
          await store.collection(to).insert({ id: 'live' });
          await store.collection(`${to}__rebuild`).insert({ id: `rebuilt-${to}` });
        }
        // What MongoDB leaves behind when the process dies after the first rename.
        await store.swapCollections(pairs.slice(0, 1));
        await store.swapCollections(pairs);
        await store.swapCollections(pairs);
        for (const to of names) {
          expect(ids((await store.collection(to).find()).items)).toEqual([`rebuilt-${to}`]);
        }
        const left = await store.listCollections();
        expect(left.filter((n) => n.endsWith('__rebuild') && names.some((to) => n.startsWith(to)))).toEqual(
          [],
        );
      });

      it('rejects invalid collection names', async () => {
        expect(() => store.collection('bad name; drop')).toThrow();
        await expect(store.dropCollection('x"y')).rejects.toThrow();
      });
    });
  });
}
