import { filter, type Observable, Subject } from 'rxjs';
import type { InvocationRecord } from './invocations.ts';

/**
 * Live invocation records, in process: `invokeWorker` publishes each record once stored; the SSE route
 * follows one worker's. A follower that is slow only delays itself (each subscriber writes to its own socket).
 */
export class InvocationFeed {
  readonly #records = new Subject<InvocationRecord>();
  #sequence = 0;

  /**
   * The order key of a record this process stores and publishes: the time, then a counter, so records stored
   * in one millisecond (or under a clock that stands still) keep the order in which they are published. A
   * stream that resumes after `Last-Event-ID` sends the stored records whose key is greater.
   */
  nextSeq(now: Date): string {
    this.#sequence++;
    return `${now.toISOString()}.${String(this.#sequence).padStart(12, '0')}`;
  }

  publish(record: InvocationRecord): void {
    this.#records.next(record);
  }

  follow(match: { workerId?: string; projectId?: string } = {}): Observable<InvocationRecord> {
    return this.#records.pipe(
      filter(
        (r) =>
          (match.workerId === undefined || r.workerId === match.workerId) &&
          (match.projectId === undefined || r.projectId === match.projectId),
      ),
    );
  }

  /** Ends every follower (server shutdown). */
  complete(): void {
    this.#records.complete();
  }
}
