import { expect } from 'vitest';
import {
  AUDIT_LOG,
  AUDIT_LOG_SPEC,
  AUDIT_NAMES,
  AUDIT_NAMES_COUNTER,
  type AuditNameDoc,
} from '../../application/audit/readModel.ts';
import type { EventStore, RecordedEvent } from '../../application/ports/eventStore.ts';
import { findAll } from '../../application/ports/findAll.ts';
import type { ReadStore } from '../../application/ports/readStore.ts';
import { type DeliveryDoc, WORKER_DELIVERIES } from '../../application/runtime/deliveries.ts';
import type { InvocationRecord } from '../../application/runtime/invocations.ts';
import { WORKER_INVOCATIONS } from '../../application/workers/readModel.ts';
import { loadConfig } from '../../infrastructure/config.ts';
import { createLogger } from '../../infrastructure/logging.ts';
import { openStores } from '../../infrastructure/stores.ts';
import { projections } from '../../projections/index.ts';
import { createRoot, nodeEnv, runM3m, type ServeNode, signIn, startNode, until } from './serveNodes.ts';

/**
 * Several `m3m serve` nodes on one store under load (issue 14, "Several processes, one store"; issue 17, "A cluster
 * of m3m nodes"): goal increments (each one an event a worker listens to) spread over every node, one node killed
 * with SIGKILL midway and, when asked, another one restarted; then: no acknowledged increment lost, every
 * delivery succeeded and none run twice unless it was taken over from the killed node, each cron tick run once,
 * each node's `/health` showing the others as it sees them, and the read models equal to a full `m3m replay`.
 */

export interface ScenarioOptions {
  /** What the nodes share: the data dir, or the PostgreSQL settings. */
  env: Record<string, string>;
  /** What differs per node (e.g. a data dir of its own on PostgreSQL); node 0 also runs the CLI commands. */
  perNode?: (index: number) => Record<string, string>;
  nodes: number;
  /** Restart (SIGTERM, start again) one of the surviving nodes during the load. */
  restartOne: boolean;
  increments: number;
}

export interface ScenarioFigures {
  acknowledged: number;
  attempted: number;
  events: number;
  takenOver: number;
  ticks: number;
  seconds: number;
  phases: string;
}

const CONCURRENCY = 6;

export async function runClusterScenario(options: ScenarioOptions): Promise<ScenarioFigures> {
  const began = Date.now();
  const phases: string[] = [];
  let last = began;
  const phase = (name: string) => {
    const now = Date.now();
    phases.push(`${name} ${((now - last) / 1000).toFixed(1)}s`);
    if (process.env.M3M_TEST_PHASES) console.info(phases.at(-1));
    last = now;
  };
  const envOf = (i: number) => nodeEnv({ ...options.env, ...options.perNode?.(i) });
  const env = envOf(0);
  const nodes: ServeNode[] = [];
  try {
    // All nodes but the last start at once (with the root admin's creation); the last starts once the workers
    // exist, so its scheduler's check of the current minute at start races the others for a tick.
    const early = Array.from({ length: options.nodes - 1 }, (_, i) => startNode(`n${i}`, envOf(i)));
    const [root] = await Promise.allSettled([createRoot(env), ...early]);
    const started = await Promise.allSettled(early);
    for (const result of started) if (result.status === 'fulfilled') nodes.push(result.value);
    for (const result of [root, ...started]) if (result.status === 'rejected') throw result.reason;
    const first = nodes[0]!;
    phase('first nodes');
    const token = await signIn(first);
    const json = async (response: Promise<Response>, status: number) => {
      const r = await response;
      const body = (await r.json()) as Record<string, unknown>;
      if (r.status !== status) throw new Error(`${r.url}: ${r.status} ${JSON.stringify(body)}`);
      return body;
    };
    const project = await json(
      first.request('POST', '/api/v1/projects', { token, body: { name: 'cluster', slug: 'cluster' } }),
      201,
    );
    const projectId = project.id as string;
    const goal = await json(
      first.request('POST', `/api/v1/projects/${projectId}/goals`, {
        token,
        body: { slug: 'hits', name: 'Hits', type: 'counter' },
      }),
      201,
    );
    const worker = async (slug: string, triggers: object, source: string) => {
      const created = await json(
        first.request('POST', `/api/v1/projects/${projectId}/workers`, {
          token,
          body: { name: slug, slug, triggers },
        }),
        201,
      );
      await json(
        first.request('POST', `/api/v1/projects/${projectId}/workers/${created.id}/deploy`, {
          token,
          body: { source },
        }),
        201,
      );
      return created.id as string;
    };
    const recorder = await worker(
      'recorder',
      { events: ['GoalIncremented'] },
      'export default { async onEvent(event) { return event.id; } };\n',
    );
    const ticker = await worker(
      'ticker',
      { cron: '* * * * *' },
      'export default { async scheduled(input) { return input.scheduledAt; } };\n',
    );
    const last = options.nodes - 1;
    nodes.push(await startNode(`n${last}`, envOf(last)));
    for (const node of nodes) {
      await until(`${node.name} sees every node`, async () => {
        const view = (await node.health()).node;
        return view.processes.filter((p) => p.alive).length >= options.nodes;
      });
    }

    phase('setup and last node');
    // ── the load ─────────────────────────────────────────────────────────────────────────────────────────
    const victim = nodes[1]!;
    const victimBootId = (await victim.health()).node.bootId;
    const up = new Set(nodes);
    let sent = 0;
    let acknowledged = 0;
    let turn = 0;
    const send = async () => {
      while (sent < options.increments) {
        sent++;
        const live = [...up];
        const node = live[turn++ % live.length]!;
        try {
          const response = await node.request('POST', '/api/v1/goals/cluster-hits/increment', {
            apiKey: project.apiKey as string,
            body: { by: 1 },
          });
          await response.arrayBuffer();
          if (response.status === 200) acknowledged++;
        } catch {
          // The node was killed with this request in flight: not acknowledged.
        }
      }
    };
    const chaos = async () => {
      await until('a third of the load sent', async () => sent >= options.increments / 3, 60_000);
      up.delete(victim);
      await victim.kill();
      if (options.restartOne) {
        await until('two thirds of the load sent', async () => sent >= (2 * options.increments) / 3, 60_000);
        const index = nodes.length - 1;
        const restarted = nodes[index]!;
        up.delete(restarted);
        await restarted.stop();
        const again = await startNode(`${restarted.name}'`, envOf(index));
        nodes[index] = again;
        up.add(again);
      }
    };
    await Promise.all([...Array.from({ length: CONCURRENCY }, send), chaos()]);
    phase('load');
    const alive = nodes.filter((n) => n !== victim);

    // ── each node's view ─────────────────────────────────────────────────────────────────────────────────
    for (const node of alive) {
      await until(`${node.name} sees the killed node gone`, async () => {
        const view = (await node.health()).node;
        const self = view.processes.find((p) => p.self);
        const killed = view.processes.find((p) => p.bootId === victimBootId);
        return self?.alive && !killed?.alive;
      });
    }

    phase('views');
    // ── every delivery settles, through the store ────────────────────────────────────────────────────────
    const config = loadConfig(env);
    const logger = createLogger({ log: { ...config.log, level: 'silent' } });
    let stores = await openStores(config, logger);
    let events: RecordedEvent[] = [];
    let takenOver = 0;
    let ticks = 0;
    try {
      events = (await readEverything(stores.eventStore)).filter(
        (e) => e.type === 'GoalIncremented' && (e.data as { projectId?: string }).projectId === projectId,
      );
      expect(events.length).toBeGreaterThanOrEqual(acknowledged);
      expect(events.length).toBeLessThanOrEqual(sent);
      const deliveries = stores.readStore.collection<DeliveryDoc>(WORKER_DELIVERIES);
      await until(
        'every delivery succeeded',
        async () => {
          const docs = await findAll(deliveries, { workerId: recorder });
          const done = new Set(docs.filter((d) => d.status === 'succeeded').map((d) => d.eventId));
          return events.every((e) => done.has(e.id));
        },
        45_000,
      );
      const docs = new Map(
        (await findAll(deliveries, { workerId: recorder })).map((d) => [d.eventId, d] as const),
      );
      const invocations = await findAll(stores.readStore.collection<InvocationRecord>(WORKER_INVOCATIONS), {
        projectId,
      });
      const ok = new Map<string, number>();
      for (const inv of invocations) {
        if (inv.workerId === recorder && inv.outcome === 'ok' && inv.eventId) {
          ok.set(inv.eventId, (ok.get(inv.eventId) ?? 0) + 1);
        }
      }
      for (const event of events) {
        const runs = ok.get(event.id) ?? 0;
        const doc = docs.get(event.id)!;
        if (doc.takenOverFrom) takenOver++;
        // At least once; twice only when the killed node ran it and died before recording its success.
        expect(runs, `ok runs of ${event.id}`).toBeGreaterThanOrEqual(1);
        if (runs > 1) {
          expect(doc.takenOverFrom, `${event.id} ran ${runs} times`).toBe(victimBootId);
          expect(runs).toBe(2);
        }
      }
      // Each tick of the cron worker ran once, whichever node claimed it.
      const scheduled = invocations.filter((i) => i.workerId === ticker && i.trigger === 'schedule');
      const perTick = new Map<string, number>();
      for (const inv of scheduled) perTick.set(inv.scheduledAt!, (perTick.get(inv.scheduledAt!) ?? 0) + 1);
      ticks = perTick.size;
      expect(ticks).toBeGreaterThanOrEqual(1);
      for (const [tick, count] of perTick) expect(count, `runs of tick ${tick}`).toBe(1);
    } finally {
      await stores.eventStore.close();
      await stores.readStore.close();
    }

    phase('settled');
    // ── the read models equal a full replay ──────────────────────────────────────────────────────────────
    // Every node's projections at the head (they commit each batch with its checkpoint), then all of them end.
    const head = await headOf(config, logger);
    for (const node of alive) {
      await until(`${node.name}'s projections at the head`, async () => {
        const report = (await node.health()) as unknown as { projections: { position: number }[] };
        return report.projections.every((p) => p.position >= head);
      });
    }
    await Promise.all(alive.map((node) => node.kill()));
    phase('stopped');
    stores = await openStores(config, logger);
    let served: Map<string, unknown[]>;
    try {
      served = await snapshot(stores.readStore);
      const total = (served.get('goal_totals') as { id: string; total: number }[]).find(
        (d) => d.id === goal.id,
      );
      expect(total?.total).toBe(events.length);
    } finally {
      await stores.eventStore.close();
      await stores.readStore.close();
    }
    phase('snapshot');
    await runM3m(['replay'], env);
    stores = await openStores(config, logger);
    try {
      const replayed = await snapshot(stores.readStore);
      for (const [name, docs] of served) expect(replayed.get(name), `collection ${name}`).toEqual(docs);
    } finally {
      await stores.eventStore.close();
      await stores.readStore.close();
    }
    phase('replay');
    return {
      acknowledged,
      attempted: sent,
      events: events.length,
      takenOver,
      ticks,
      seconds: Math.round((Date.now() - began) / 100) / 10,
      phases: phases.join(', '),
    };
  } finally {
    await Promise.all(nodes.map((n) => n.kill()));
  }
}

async function headOf(config: Parameters<typeof openStores>[0], logger: Parameters<typeof openStores>[1]) {
  const stores = await openStores(config, logger);
  try {
    return await stores.eventStore.headPosition();
  } finally {
    await stores.eventStore.close();
    await stores.readStore.close();
  }
}

async function readEverything(eventStore: EventStore): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let from = 0;
  for (;;) {
    const page = await eventStore.readAll({ fromPosition: from, limit: 1000 });
    if (page.length === 0) return all;
    all.push(...page);
    from = page.at(-1)!.position;
  }
}

/** Every document of every projection's collections, by collection, in id order. */
export async function snapshot(readStore: ReadStore): Promise<Map<string, unknown[]>> {
  const out = new Map<string, unknown[]>();
  for (const projection of projections) {
    for (const name of Object.keys(projection.collections)) {
      out.set(name, await findAll(readStore.collection(name), {}, { id: 1 }));
    }
  }
  // The audit log's numbers are given in the order names were first seen, which differs between nodes
  // applying pages live and one replay: compare the names, and the log's rows with their numbers resolved.
  const names = out.get(AUDIT_NAMES) as AuditNameDoc[];
  const byNumber = new Map(names.map((d) => [d.n, d.id] as const));
  out.set(
    AUDIT_NAMES,
    names.filter((d) => d.id !== AUDIT_NAMES_COUNTER).map((d) => d.id),
  );
  const rows: unknown[] = [];
  const log = readStore.logTable(AUDIT_LOG, AUDIT_LOG_SPEC);
  for (let after = -1; ; ) {
    const page = await log.find({ position: { $gt: after }, order: 1, limit: 10_000 });
    if (page.length === 0) break;
    for (const row of page) {
      const resolved: Record<string, unknown> = { position: row.position, ts: row.ts };
      for (const column of AUDIT_LOG_SPEC.columns) {
        if (column !== 'ts') resolved[column] = row[column] === 0 ? null : byNumber.get(row[column]!);
      }
      rows.push(resolved);
    }
    after = page[page.length - 1]!.position;
  }
  out.set(AUDIT_LOG, rows);
  return out;
}
