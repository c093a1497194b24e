import type { M3m } from './composition.ts';
import type { HealthReport } from './http/app.ts';

/**
 * `/health`: degraded while a projection or the runtime subscriber is failing, with each one's lag behind
 * `$all`; the scheduler; the plugins (a broken plugin is listed, but m3m runs without it: not degraded).
 */
export async function healthReport(m3m: M3m): Promise<HealthReport> {
  const head = await m3m.eventStore.headPosition();
  const projectionStatus = m3m.runner.status().map((p) => ({ ...p, lag: Math.max(0, head - p.position) }));
  const subscriber = m3m.triggers.subscriber.status();
  const plugins = m3m.plugins.status();
  const failing = projectionStatus.some((p) => p.state === 'retrying') || subscriber.state === 'retrying';
  return {
    status: failing ? 'degraded' : 'ok',
    eventStore: { kind: m3m.config.eventStore.kind, headPosition: head },
    readStore: { kind: m3m.config.readStore.kind },
    projections: projectionStatus,
    runtime: {
      subscriber: {
        ...subscriber,
        lag: Math.max(0, head - subscriber.position),
        retryQueue: await m3m.triggers.subscriber.backlog(),
      },
      scheduler: m3m.triggers.scheduler.status(),
    },
    // Names only: /health answers anyone; folders and errors are at /api/v1/admin/plugins.
    plugins: {
      loaded: plugins.loaded.map((p) => ({ name: p.name })),
      broken: plugins.broken.map((p) => ({ name: p.name })),
    },
  };
}
