import type { RecordedEvent } from '../application/ports/eventStore.ts';
import type { Collection, Doc, IndexSpec, LogTable, LogTableSpec } from '../application/ports/readStore.ts';

/** The collections a projection may touch while it applies one event, under their logical names. */
export interface ProjectionView {
  collection<T extends Doc = Doc>(name: string): Collection<T>;
  /** One of the projection's `logTables`. */
  logTable(name: string): LogTable;
}

export interface Projection {
  /** Stable identifier: `m3m replay --projection NAME`. */
  name: string;
  /** Bump it when `apply` changes meaning: the projection rebuilds itself at the next start. */
  version: number;
  /** The collections it owns, with their indexes. They are rebuilt and swapped in together. */
  collections: Record<string, readonly IndexSpec[]>;
  /**
   * Log tables it owns (ADR 29: a row of whole numbers per event, keyed by position), rebuilt and swapped in
   * with its collections.
   */
  logTables?: Record<string, LogTableSpec>;
  /**
   * Its indexes serve queries only: `apply` reads its collections by id alone (and never reads its log tables). A rebuild then fills the
   * `__rebuild` collections without their indexes and builds each once at the end (one sort instead of an
   * insert into every index per event). Leave it out when `apply` queries by an indexed field or relies on a
   * unique index.
   */
  indexesOnlyForQueries?: boolean;
  /** Event types it reacts to; others are skipped without a write. Absent: every event. */
  eventTypes?: readonly string[];
  /** Must only write through `view`: the runner commits it together with the checkpoint. */
  apply(event: RecordedEvent, view: ProjectionView): Promise<void>;
  /**
   * Optional: applies several events (in order, all of the projection's types, none applied before) in one go,
   * with the same outcome as `apply` on each in turn but fewer writes, e.g. one `$inc` per goal for a page of
   * increments. The runner then calls it instead of `apply`, once per transaction (a page in a replay).
   */
  applyPage?(events: readonly RecordedEvent[], view: ProjectionView): Promise<void>;
}
