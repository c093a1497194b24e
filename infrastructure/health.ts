import type { M3m } from './composition.ts';
import type { HealthReport } from './http/app.ts';

/**
 * `/health`: degraded (with `reasons`) while a consumer of the feed (a projection, the runtime subscriber) is
 * failing, the subscriber is paused, either lags more than `M3M_HEALTH_MAX_LAG` positions behind `$all`, the
 * feed cannot read `$all` or has stopped every consumer (the read store does not match the event store), or the
 * storage is full; each consumer's position, lag (positions and seconds), state and last error; the scheduler;
 * the plugins (a broken plugin is listed, but m3m runs without it: not degraded); `node`: this process (its boot
 * id) and every m3m process registered on the store as this one sees it (live or gone), see ADR 20.
 */
export async function healthReport(m3m: M3m): Promise<HealthReport> {
  const head = await m3m.eventStore.headPosition();
  const projectionStatus = m3m.runner.status().map((p) => ({ ...p, lag: Math.max(0, head - p.position) }));
  const subscriber = m3m.triggers.subscriber.status();
  const plugins = m3m.plugins.status();
  const outbox = m3m.webhooks.outbox.status().map((p) => ({ ...p, lag: Math.max(0, head - p.position) }));
  const maxLag = m3m.config.workers.healthMaxLag;
  const storage = m3m.storage.status();
  const subscriberLag = Math.max(0, head - subscriber.position);
  // Degraded, with why: a consumer failing, paused (too much received and not settled), or too far behind.
  const halted = m3m.feed.halted;
  const threadDown = m3m.projectionThread?.failure ?? null;
  const reasons = [
    ...(threadDown ? [`the projection thread stopped (${threadDown}): it is being started again`] : []),
    ...(halted ? [`every consumer of the event feed is stopped: ${halted}`] : []),
    ...(m3m.feed.lastError ? [`the event feed cannot read $all: ${m3m.feed.lastError}`] : []),
    ...projectionStatus.flatMap((p) =>
      p.state === 'retrying'
        ? [`projection ${p.name} is retrying`]
        : p.lag > maxLag
          ? [`projection ${p.name} lags ${p.lag} behind the event log (M3M_HEALTH_MAX_LAG ${maxLag})`]
          : [],
    ),
    ...(subscriber.state === 'retrying' ? ['the runtime subscriber is retrying'] : []),
    ...(subscriber.state === 'paused'
      ? ['the runtime subscriber is paused: its workers have too many events not yet handled']
      : []),
    ...outbox.flatMap((p) =>
      p.state === 'retrying'
        ? ['the webhook outbox is retrying']
        : p.lag > maxLag
          ? [`the webhook outbox lags ${p.lag} behind the event log (M3M_HEALTH_MAX_LAG ${maxLag})`]
          : [],
    ),
    ...(subscriberLag > maxLag
      ? [`the runtime subscriber lags ${subscriberLag} behind the event log (M3M_HEALTH_MAX_LAG ${maxLag})`]
      : []),
    ...(storage.state === 'full' ? ['the storage is full: writes are refused (507 storage_full)'] : []),
  ];
  return {
    status: reasons.length > 0 ? 'degraded' : 'ok',
    ...(reasons.length > 0 ? { reasons } : {}),
    storage,
    eventStore: { kind: m3m.config.eventStore.kind, headPosition: head },
    feed: { halted, lastError: m3m.feed.lastError },
    readStore: { kind: m3m.config.readStore.kind },
    projections: projectionStatus,
    node: await nodeView(m3m),
    runtime: {
      subscriber: {
        ...subscriber,
        lag: subscriberLag,
        retryQueue: await m3m.triggers.subscriber.backlog(),
      },
      scheduler: m3m.triggers.scheduler.status(),
    },
    webhooks: { outbox: outbox[0] ?? null, sender: m3m.webhooks.sender.status() },
    // Names only: /health answers anyone; folders and errors are at /api/v1/admin/plugins.
    plugins: {
      loaded: plugins.loaded.map((p) => ({ name: p.name })),
      broken: plugins.broken.map((p) => ({ name: p.name })),
    },
  };
}

/**
 * This process and the others on the store, as this one sees them (others' state never degrades this one). No
 * PIDs or hostnames: /health answers anyone.
 */
async function nodeView(m3m: M3m) {
  const { lease } = m3m.triggers;
  return {
    bootId: lease.bootId,
    startedAt: lease.startedAt,
    leaseHeld: lease.holds(),
    leaseError: lease.lastError,
    processes: (await lease.view()).map(({ bootId, startedAt, renewedAt, alive, self }) => ({
      bootId,
      startedAt,
      renewedAt,
      alive,
      self,
    })),
  };
}
