import type { Migration } from '../postgres/migrations.ts';

/** The advisory lock that orders position allocation (see ADR 12); any constant unique to m3m. */
export const POSITION_LOCK = 0x6d336d01;

/** Raised by `m3m_append` when an expected revision does not hold; DETAIL carries the stream and its revision. */
export const CONFLICT_SQLSTATE = 'M3M01';

/**
 * The event store's schema, one transaction per migration (see infrastructure/postgres/migrations.ts).
 *
 * Why positions are taken the way they are (ADR 12): a sequence value becomes visible when its transaction
 * commits, and transactions commit in any order, so a reader that follows `$all` by position alone can pass
 * position 11 while 10 is still uncommitted and never see 10. Readers therefore read only events whose
 * transaction is older than every transaction still in flight (`transaction_id < pg_snapshot_xmin(...)`).
 * That alone is not enough for a single numeric position: it also needs positions to rise with transaction
 * ids, which `m3m_take_positions` guarantees by assigning the transaction's id and its positions together
 * under a short lock that is released at once, not at commit. Appends still commit concurrently.
 */
export const EVENT_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events, streams, position allocation, append',
    sql: `
      CREATE SEQUENCE m3m_event_position AS bigint MINVALUE 1;

      -- json, not jsonb: an event is kept exactly as written (jsonb would refuse a \\u0000 in a string).
      CREATE TABLE m3m_events (
        position bigint PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        stream_id text NOT NULL,
        revision bigint NOT NULL,
        id text NOT NULL,
        type text NOT NULL,
        data json NOT NULL,
        metadata json NOT NULL,
        UNIQUE (stream_id, revision)
      );
      CREATE INDEX m3m_events_type ON m3m_events (type, position);

      -- One row per stream: its row lock serializes writers of the stream, its revision is the check.
      -- -1 is a stream guarded by an expectation before its first event.
      CREATE TABLE m3m_streams (
        stream_id text PRIMARY KEY,
        revision bigint NOT NULL
      );

      CREATE FUNCTION m3m_take_positions(n integer) RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE
        first bigint;
      BEGIN
        BEGIN
          PERFORM pg_advisory_lock(${POSITION_LOCK});
          -- The transaction id is assigned here, inside the lock, so transaction ids and positions rise together.
          PERFORM pg_current_xact_id();
          first := nextval('m3m_event_position');
          IF n > 1 THEN
            PERFORM setval('m3m_event_position', first + n - 1);
          END IF;
        EXCEPTION WHEN query_canceled OR others THEN
          -- A session lock outlives the statement: never leave it behind.
          PERFORM pg_advisory_unlock(${POSITION_LOCK});
          RAISE;
        END;
        PERFORM pg_advisory_unlock(${POSITION_LOCK});
        RETURN first;
      END $$;

      -- Appends to one or more streams in one step: every expectation holds and every event is written, or
      -- nothing is. p_counts[i] events of the flattened arrays belong to p_streams[i]; p_expected[i] is
      -- 'any', 'no_stream', 'stream_exists' or a revision. Returns each stream's last revision and position.
      CREATE FUNCTION m3m_append(
        p_streams text[], p_expected text[], p_counts integer[],
        p_ids text[], p_types text[], p_data text[], p_metadata text[]
      ) RETURNS TABLE (next_revision bigint, last_position bigint) LANGUAGE plpgsql AS $$
      DECLARE
        total integer := coalesce(array_length(p_ids, 1), 0);
        first bigint := 0;
        writes integer := coalesce(array_length(p_streams, 1), 0);
        actuals bigint[] := array_fill(NULL::bigint, ARRAY[writes]);
        actual bigint;
        offs integer := 0;
        cnt integer;
        i integer;
        expected text;
        holds boolean;
      BEGIN
        -- Positions first: this assigns the transaction id, which must happen inside the allocation lock.
        IF total > 0 THEN
          first := m3m_take_positions(total);
        END IF;
        -- Streams are locked in name order, so two multi-stream appends cannot deadlock.
        FOR i IN SELECT s.i FROM generate_subscripts(p_streams, 1) AS s(i) ORDER BY p_streams[s.i] LOOP
          expected := p_expected[i];
          IF expected = 'any' THEN
            SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE;
            IF NOT FOUND THEN
              INSERT INTO m3m_streams (stream_id, revision) VALUES (p_streams[i], -1) ON CONFLICT (stream_id) DO NOTHING;
              SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE;
            END IF;
          ELSE
            -- An exact expectation loses to a writer of the same stream that is already in flight (it was
            -- formed before that write), so it fails at once instead of queueing behind it to fail later:
            -- under contention that queue is what costs, and the caller retries a conflict anyway.
            BEGIN
              SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE NOWAIT;
              IF NOT FOUND THEN
                INSERT INTO m3m_streams (stream_id, revision) VALUES (p_streams[i], -1) ON CONFLICT (stream_id) DO NOTHING;
                SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE NOWAIT;
              END IF;
            EXCEPTION WHEN lock_not_available THEN
              SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i];
              IF actual = -1 THEN actual := NULL; END IF;
              RAISE EXCEPTION USING ERRCODE = '${CONFLICT_SQLSTATE}', MESSAGE = 'stream is being written',
                DETAIL = json_build_object('stream', p_streams[i], 'actual', actual)::text;
            END;
          END IF;
          IF actual = -1 THEN actual := NULL; END IF;
          -- (plpgsql reads an IF condition up to the first THEN, so the CASE cannot sit inside the IF.)
          holds := CASE expected
              WHEN 'any' THEN true
              WHEN 'no_stream' THEN actual IS NULL
              WHEN 'stream_exists' THEN actual IS NOT NULL
              ELSE actual IS NOT DISTINCT FROM expected::bigint
            END;
          IF NOT holds THEN
            RAISE EXCEPTION USING ERRCODE = '${CONFLICT_SQLSTATE}', MESSAGE = 'wrong expected revision',
              DETAIL = json_build_object('stream', p_streams[i], 'actual', actual)::text;
          END IF;
          actuals[i] := actual;
        END LOOP;
        FOR i IN 1 .. writes LOOP
          cnt := p_counts[i];
          actual := coalesce(actuals[i], -1);
          IF cnt > 0 THEN
            INSERT INTO m3m_events (position, transaction_id, stream_id, revision, id, type, data, metadata)
            SELECT first + offs + k - 1, pg_current_xact_id(), p_streams[i], actual + k,
                   p_ids[offs + k], p_types[offs + k], p_data[offs + k]::json, p_metadata[offs + k]::json
            FROM generate_series(1, cnt) AS k;
            UPDATE m3m_streams SET revision = actual + cnt WHERE stream_id = p_streams[i];
            next_revision := actual + cnt;
            last_position := first + offs + cnt - 1;
          ELSE
            next_revision := actual;
            last_position := coalesce(
              (SELECT e.position FROM m3m_events e WHERE e.stream_id = p_streams[i] AND e.revision = actual), 0);
          END IF;
          offs := offs + cnt;
          RETURN NEXT;
        END LOOP;
      END $$;
    `,
  },
  {
    // Version 1 refused an exact expectation whenever the stream's row was locked, also when the holder was
    // failing or only guarding, so a correct append could fail with "expected revision 0, actual 0".
    version: 2,
    name: 'an exact expectation that holds waits for the writer in flight',
    sql: `
      -- Appends to one or more streams in one step: every expectation holds and every event is written, or
      -- nothing is. p_counts[i] events of the flattened arrays belong to p_streams[i]; p_expected[i] is
      -- 'any', 'no_stream', 'stream_exists' or a revision. Returns each stream's last revision and position.
      CREATE OR REPLACE FUNCTION m3m_append(
        p_streams text[], p_expected text[], p_counts integer[],
        p_ids text[], p_types text[], p_data text[], p_metadata text[]
      ) RETURNS TABLE (next_revision bigint, last_position bigint) LANGUAGE plpgsql AS $$
      DECLARE
        total integer := coalesce(array_length(p_ids, 1), 0);
        first bigint := 0;
        writes integer := coalesce(array_length(p_streams, 1), 0);
        actuals bigint[] := array_fill(NULL::bigint, ARRAY[writes]);
        actual bigint;
        offs integer := 0;
        cnt integer;
        i integer;
        expected text;
        holds boolean;
        waited boolean := false;
      BEGIN
        -- Positions first: this assigns the transaction id, which must happen inside the allocation lock.
        IF total > 0 THEN
          first := m3m_take_positions(total);
        END IF;
        -- Streams are locked in name order, so two multi-stream appends cannot deadlock.
        FOR i IN SELECT s.i FROM generate_subscripts(p_streams, 1) AS s(i) ORDER BY p_streams[s.i] LOOP
          expected := p_expected[i];
          IF expected = 'any' THEN
            SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE;
            IF NOT FOUND THEN
              INSERT INTO m3m_streams (stream_id, revision) VALUES (p_streams[i], -1) ON CONFLICT (stream_id) DO NOTHING;
              SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE;
            END IF;
          ELSE
            -- An exact expectation that no longer holds against what is committed fails at once instead of
            -- queueing behind a writer in flight to fail later: under contention that queue is what costs, and
            -- the caller retries a conflict anyway. One that still holds waits for the writer (see below).
            BEGIN
              SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE NOWAIT;
              IF NOT FOUND THEN
                INSERT INTO m3m_streams (stream_id, revision) VALUES (p_streams[i], -1) ON CONFLICT (stream_id) DO NOTHING;
                SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE NOWAIT;
              END IF;
            EXCEPTION WHEN lock_not_available THEN
              SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i];
              IF actual = -1 THEN actual := NULL; END IF;
              holds := CASE expected
                  WHEN 'no_stream' THEN actual IS NULL
                  WHEN 'stream_exists' THEN actual IS NOT NULL
                  ELSE actual IS NOT DISTINCT FROM expected::bigint
                END;
              IF NOT holds THEN
                RAISE EXCEPTION USING ERRCODE = '${CONFLICT_SQLSTATE}', MESSAGE = 'stream is being written',
                  DETAIL = json_build_object('stream', p_streams[i], 'actual', actual)::text;
              END IF;
              waited := true;
            END;
            -- The holder may be failing (PostgreSQL tells a client its statement failed before the transaction
            -- has released its locks) or only guarding: wait for it, then check against what it left.
            IF waited THEN
              waited := false;
              SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE;
              IF NOT FOUND THEN
                -- The holder was creating the stream and rolled back.
                INSERT INTO m3m_streams (stream_id, revision) VALUES (p_streams[i], -1) ON CONFLICT (stream_id) DO NOTHING;
                SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE;
              END IF;
            END IF;
          END IF;
          IF actual = -1 THEN actual := NULL; END IF;
          -- (plpgsql reads an IF condition up to the first THEN, so the CASE cannot sit inside the IF.)
          holds := CASE expected
              WHEN 'any' THEN true
              WHEN 'no_stream' THEN actual IS NULL
              WHEN 'stream_exists' THEN actual IS NOT NULL
              ELSE actual IS NOT DISTINCT FROM expected::bigint
            END;
          IF NOT holds THEN
            RAISE EXCEPTION USING ERRCODE = '${CONFLICT_SQLSTATE}', MESSAGE = 'wrong expected revision',
              DETAIL = json_build_object('stream', p_streams[i], 'actual', actual)::text;
          END IF;
          actuals[i] := actual;
        END LOOP;
        FOR i IN 1 .. writes LOOP
          cnt := p_counts[i];
          actual := coalesce(actuals[i], -1);
          IF cnt > 0 THEN
            INSERT INTO m3m_events (position, transaction_id, stream_id, revision, id, type, data, metadata)
            SELECT first + offs + k - 1, pg_current_xact_id(), p_streams[i], actual + k,
                   p_ids[offs + k], p_types[offs + k], p_data[offs + k]::json, p_metadata[offs + k]::json
            FROM generate_series(1, cnt) AS k;
            UPDATE m3m_streams SET revision = actual + cnt WHERE stream_id = p_streams[i];
            next_revision := actual + cnt;
            last_position := first + offs + cnt - 1;
          ELSE
            next_revision := actual;
            last_position := coalesce(
              (SELECT e.position FROM m3m_events e WHERE e.stream_id = p_streams[i] AND e.revision = actual), 0);
          END IF;
          offs := offs + cnt;
          RETURN NEXT;
        END LOOP;
      END $$;
    `,
  },
  {
    // Group commit: the appends one process makes at once share one transaction, one round trip and one WAL
    // flush, each in a subtransaction of its own so that one's conflict undoes only its own writes.
    version: 3,
    name: 'group commit: several independent appends in one transaction',
    sql: `
      -- The body of m3m_append on positions allocated by the caller (from p_first on).
      CREATE FUNCTION m3m_append_at(
        p_first bigint, p_streams text[], p_expected text[], p_counts integer[],
        p_ids text[], p_types text[], p_data text[], p_metadata text[]
      ) RETURNS TABLE (next_revision bigint, last_position bigint) LANGUAGE plpgsql AS $$
      DECLARE
        first bigint := p_first;
        writes integer := coalesce(array_length(p_streams, 1), 0);
        actuals bigint[] := array_fill(NULL::bigint, ARRAY[writes]);
        actual bigint;
        offs integer := 0;
        cnt integer;
        i integer;
        expected text;
        holds boolean;
        waited boolean := false;
      BEGIN
        -- Streams are locked in name order, so two multi-stream appends cannot deadlock.
        FOR i IN SELECT s.i FROM generate_subscripts(p_streams, 1) AS s(i) ORDER BY p_streams[s.i] LOOP
          expected := p_expected[i];
          IF expected = 'any' THEN
            SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE;
            IF NOT FOUND THEN
              INSERT INTO m3m_streams (stream_id, revision) VALUES (p_streams[i], -1) ON CONFLICT (stream_id) DO NOTHING;
              SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE;
            END IF;
          ELSE
            -- An exact expectation that no longer holds against what is committed fails at once instead of
            -- queueing behind a writer in flight to fail later: under contention that queue is what costs, and
            -- the caller retries a conflict anyway. One that still holds waits for the writer (see below).
            BEGIN
              SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE NOWAIT;
              IF NOT FOUND THEN
                INSERT INTO m3m_streams (stream_id, revision) VALUES (p_streams[i], -1) ON CONFLICT (stream_id) DO NOTHING;
                SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE NOWAIT;
              END IF;
            EXCEPTION WHEN lock_not_available THEN
              SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i];
              IF actual = -1 THEN actual := NULL; END IF;
              holds := CASE expected
                  WHEN 'no_stream' THEN actual IS NULL
                  WHEN 'stream_exists' THEN actual IS NOT NULL
                  ELSE actual IS NOT DISTINCT FROM expected::bigint
                END;
              IF NOT holds THEN
                RAISE EXCEPTION USING ERRCODE = '${CONFLICT_SQLSTATE}', MESSAGE = 'stream is being written',
                  DETAIL = json_build_object('stream', p_streams[i], 'actual', actual)::text;
              END IF;
              waited := true;
            END;
            -- The holder may be failing (PostgreSQL tells a client its statement failed before the transaction
            -- has released its locks) or only guarding: wait for it, then check against what it left.
            IF waited THEN
              waited := false;
              SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE;
              IF NOT FOUND THEN
                -- The holder was creating the stream and rolled back.
                INSERT INTO m3m_streams (stream_id, revision) VALUES (p_streams[i], -1) ON CONFLICT (stream_id) DO NOTHING;
                SELECT s.revision INTO actual FROM m3m_streams s WHERE s.stream_id = p_streams[i] FOR UPDATE;
              END IF;
            END IF;
          END IF;
          IF actual = -1 THEN actual := NULL; END IF;
          -- (plpgsql reads an IF condition up to the first THEN, so the CASE cannot sit inside the IF.)
          holds := CASE expected
              WHEN 'any' THEN true
              WHEN 'no_stream' THEN actual IS NULL
              WHEN 'stream_exists' THEN actual IS NOT NULL
              ELSE actual IS NOT DISTINCT FROM expected::bigint
            END;
          IF NOT holds THEN
            RAISE EXCEPTION USING ERRCODE = '${CONFLICT_SQLSTATE}', MESSAGE = 'wrong expected revision',
              DETAIL = json_build_object('stream', p_streams[i], 'actual', actual)::text;
          END IF;
          actuals[i] := actual;
        END LOOP;
        FOR i IN 1 .. writes LOOP
          cnt := p_counts[i];
          actual := coalesce(actuals[i], -1);
          IF cnt > 0 THEN
            INSERT INTO m3m_events (position, transaction_id, stream_id, revision, id, type, data, metadata)
            SELECT first + offs + k - 1, pg_current_xact_id(), p_streams[i], actual + k,
                   p_ids[offs + k], p_types[offs + k], p_data[offs + k]::json, p_metadata[offs + k]::json
            FROM generate_series(1, cnt) AS k;
            UPDATE m3m_streams SET revision = actual + cnt WHERE stream_id = p_streams[i];
            next_revision := actual + cnt;
            last_position := first + offs + cnt - 1;
          ELSE
            next_revision := actual;
            last_position := coalesce(
              (SELECT e.position FROM m3m_events e WHERE e.stream_id = p_streams[i] AND e.revision = actual), 0);
          END IF;
          offs := offs + cnt;
          RETURN NEXT;
        END LOOP;
      END $$;

      CREATE OR REPLACE FUNCTION m3m_append(
        p_streams text[], p_expected text[], p_counts integer[],
        p_ids text[], p_types text[], p_data text[], p_metadata text[]
      ) RETURNS TABLE (next_revision bigint, last_position bigint) LANGUAGE plpgsql AS $$
      DECLARE
        total integer := coalesce(array_length(p_ids, 1), 0);
        first bigint := 0;
      BEGIN
        -- Positions first: this assigns the transaction id, which must happen inside the allocation lock.
        IF total > 0 THEN
          first := m3m_take_positions(total);
        END IF;
        RETURN QUERY SELECT * FROM m3m_append_at(first, p_streams, p_expected, p_counts, p_ids, p_types, p_data, p_metadata);
      END $$;

      -- Independent appends in one transaction: p_writes[a] consecutive writes of the flattened stream arrays
      -- belong to append a (each as m3m_append takes them). Every append is all or nothing on its own: one
      -- whose expectation fails (or that fails otherwise) is rolled back alone and reported in error_code and
      -- error_detail, the others stay. Positions for all events are taken at once, first: a transaction's
      -- positions must rise with its id (ADR 12), and a failed append only leaves a gap.
      CREATE FUNCTION m3m_append_group(
        p_writes integer[], p_streams text[], p_expected text[], p_counts integer[],
        p_ids text[], p_types text[], p_data text[], p_metadata text[]
      ) RETURNS TABLE (append_no integer, next_revision bigint, last_position bigint, error_code text, error_detail text)
      LANGUAGE plpgsql AS $$
      DECLARE
        total integer := coalesce(array_length(p_ids, 1), 0);
        first bigint := 0;
        w integer := 1;
        e integer := 1;
        nw integer;
        ne integer;
        a integer;
        state text;
        detail text;
        message text;
      BEGIN
        IF total > 0 THEN
          first := m3m_take_positions(total);
        END IF;
        FOR a IN 1 .. coalesce(array_length(p_writes, 1), 0) LOOP
          nw := p_writes[a];
          ne := (SELECT coalesce(sum(c), 0) FROM unnest(p_counts[w:w + nw - 1]) AS c);
          BEGIN
            RETURN QUERY SELECT a, r.next_revision, r.last_position, NULL::text, NULL::text
              FROM m3m_append_at(first + e - 1, p_streams[w:w + nw - 1], p_expected[w:w + nw - 1],
                p_counts[w:w + nw - 1], p_ids[e:e + ne - 1], p_types[e:e + ne - 1], p_data[e:e + ne - 1],
                p_metadata[e:e + ne - 1]) AS r;
          EXCEPTION WHEN others THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL, message = MESSAGE_TEXT;
            RETURN QUERY SELECT a, NULL::bigint, NULL::bigint, state,
              CASE WHEN state = '${CONFLICT_SQLSTATE}' THEN detail ELSE message END;
          END;
          w := w + nw;
          e := e + ne;
        END LOOP;
      END $$;
    `,
  },
];
