/** What `m3m serve` stops on SIGTERM, in the order it must. */
export interface StoppableParts {
  /** The HTTP drain: requests in flight finish, connections close (at most its timeout, 10 s). */
  drain(): Promise<{ forced: number }>;
  /** Event deliveries and cron ticks: running ones finish and are recorded, waiting ones go back to the queue. */
  stopTriggers(): Promise<void>;
  /** The HTTP server, then everything else (the lease last but one, the stores last). */
  closeServer(): Promise<void>;
  close(): Promise<void>;
  logger: { warn(obj: object, msg: string): void };
}

/**
 * The graceful stop. Deliveries and ticks stop at once, beside the HTTP drain rather than after it: the drain
 * waits up to 10 s for idle keep-alive clients, and a supervisor that kills sooner (the cluster tests give 5 s)
 * otherwise killed the runtime mid-delivery, between an invocation's record and its delivery's `succeeded`, so
 * another process ran the event again (ADR 0020: only a killed process's deliveries may run twice). Events
 * appended by the requests still in flight are delivered by the other processes, or by this one after a restart.
 */
export async function gracefulStop(parts: StoppableParts): Promise<void> {
  const [{ forced }] = await Promise.all([parts.drain(), parts.stopTriggers()]);
  if (forced > 0) parts.logger.warn({ connections: forced }, 'closed connections still busy after 10 s');
  await parts.closeServer();
  await parts.close();
}
