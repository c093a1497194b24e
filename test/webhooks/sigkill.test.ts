import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { findAll } from '../../application/ports/findAll.ts';
import { projectEventsStream } from '../../application/runtime/customEvents.ts';
import { WEBHOOK_MESSAGES, type WebhookMessageDoc } from '../../application/webhooks/readModel.ts';
import { loadConfig } from '../../infrastructure/config.ts';
import { createLogger } from '../../infrastructure/logging.ts';
import { openStores } from '../../infrastructure/stores.ts';
import { createRoot, nodeEnv, type ServeNode, signIn, startNode, until } from '../kit/serveNodes.ts';
import { startReceiver } from '../kit/webhookReceiver.ts';

/**
 * Issue 15: "a server killed with SIGKILL in the middle of a burst of 1,000 events and restarted still delivers
 * all 1,000 with no acknowledged message sent again". A real `m3m serve` child process on a SQLite data dir, a
 * real receiver on loopback that verifies every request with the official `standardwebhooks` package and records
 * its `webhook-id`. The burst is 1,000 custom events appended to the store (as a worker's `m3m.events.emit`
 * appends them); the server is SIGKILLed from inside the receiver as the 300th request arrives (so that request,
 * at least, is unanswered), then started again on the same data dir.
 *
 * "Acknowledged" is what the store recorded as `succeeded` when the process died: none of those may arrive
 * again. A message the receiver answered 2xx but whose success the dead process had not committed yet is sent
 * once more with the same `webhook-id` (ADR 17): that is allowed only for messages that were in flight at the
 * kill, at most the endpoint's 4 concurrent sends (plus the one the kill interrupted).
 */

const BURST = 1000;
const KILL_AT = 300;

describe('webhooks across a SIGKILL', () => {
  it('deliver all 1,000 events of a burst once the server is restarted, and re-send nothing acknowledged', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'm3m-hooks-kill-'));
    const env = nodeEnv({
      M3M_DATA_DIR: dataDir,
      M3M_ALLOW_PRIVATE_FETCH: 'true',
      M3M_WEBHOOKS_ALLOW_HTTP: 'true',
      M3M_WEBHOOK_RETRY_SCHEDULE: '200ms,200ms,200ms,200ms,200ms',
    });
    const receiver = await startReceiver();
    let node: ServeNode | null = null;
    let stores: Awaited<ReturnType<typeof openStores>> | null = null;
    try {
      await createRoot(env);
      node = await startNode('n0', env);
      const token = await signIn(node);
      const call = async (method: string, path: string, body?: unknown) => {
        const response = await node!.request(method, path, { token, body });
        const json = (await response.json()) as Record<string, unknown>;
        if (response.status >= 300)
          throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
        return json;
      };
      const project = await call('POST', '/api/v1/projects', { name: 'Burst', slug: 'burst' });
      const projectId = project.id as string;
      await call('POST', `/api/v1/projects/${projectId}/modules`, { moduleCode: 'webhooks' });
      const hook = await call('POST', `/api/v1/projects/${projectId}/webhooks`, {
        url: receiver.url,
        eventTypes: ['custom.BurstEvent'],
        rateLimit: 1000,
      });
      const verifier = new Webhook(hook.secret as string);

      // The receiver: verifies, records, answers 204 after 5 ms; the 300th request kills the server first.
      const seqOf = new Map<string, number>();
      const arrivals: { id: string; restarted: boolean }[] = [];
      const invalid: string[] = [];
      let restarted = false;
      let killing: Promise<void> | null = null;
      receiver.respond = (index, request) => {
        const id = request.headers['webhook-id'] as string;
        try {
          const payload = verifier.verify(request.body, request.headers as Record<string, string>) as {
            type: string;
            data: { payload: { seq: number } };
          };
          if (payload.type !== 'custom.BurstEvent') throw new Error(`unexpected type ${payload.type}`);
          seqOf.set(id, payload.data.payload.seq);
        } catch (err) {
          invalid.push(`${id}: ${String(err)}`);
          return { status: 400 };
        }
        arrivals.push({ id, restarted });
        if (index === KILL_AT - 1) {
          killing = node!.kill();
          return { status: 204, delayMs: 2000 };
        }
        return { status: 204, delayMs: 5 };
      };

      // The burst, appended by this process to the shared SQLite store, ten appends of 100.
      const config = loadConfig(env);
      const logger = createLogger({ log: { ...config.log, level: 'silent' } });
      stores = await openStores(config, logger);
      for (let batch = 0; batch < BURST / 100; batch++) {
        await stores.eventStore.append(
          projectEventsStream(projectId),
          Array.from({ length: 100 }, (_, i) => ({
            id: randomUUID(),
            type: 'BurstEvent',
            data: { projectId, payload: { seq: batch * 100 + i }, depth: 1 },
            metadata: {
              actorId: null,
              correlationId: randomUUID(),
              causationId: null,
              source: 'system' as const,
              schemaVersion: 1,
              timestamp: new Date().toISOString(),
            },
          })),
          { expectedRevision: 'any' },
        );
      }

      await until('the kill', async () => killing !== null, 40_000).catch((err: Error) => {
        throw new Error(
          `${err.message}: ${arrivals.length} arrived, ${invalid.length} invalid ${invalid.slice(0, 2)}; the server said: ${node!.output().slice(-3000)}`,
        );
      });
      await killing;
      expect(node.exited()).toBe('SIGKILL');
      // What the store says was acknowledged when the process died.
      const atKill = await findAll(stores.readStore.collection<WebhookMessageDoc>(WEBHOOK_MESSAGES), {
        webhookId: hook.id as string,
      });
      const acknowledged = new Set(atKill.filter((m) => m.status === 'succeeded').map((m) => m.id));
      const receivedBeforeKill = new Set(arrivals.map((a) => a.id));
      expect(acknowledged.size).toBeGreaterThan(0);
      expect(acknowledged.size).toBeLessThan(BURST);
      for (const id of acknowledged) expect(receivedBeforeKill.has(id)).toBe(true);

      restarted = true;
      node = await startNode('n0-again', env);
      await until('every message of the burst at the receiver', async () => seqOf.size >= BURST, 45_000);
      await until(
        'every message settled in the store',
        async () => {
          const all = await findAll(stores!.readStore.collection<WebhookMessageDoc>(WEBHOOK_MESSAGES), {
            webhookId: hook.id as string,
          });
          return all.length === BURST && all.every((m) => m.status === 'succeeded');
        },
        15_000,
      );

      // All 1,000, each seq once, every request verified by standardwebhooks.
      expect(invalid).toEqual([]);
      expect(seqOf.size).toBe(BURST);
      expect(new Set(seqOf.values()).size).toBe(BURST);
      // Nothing acknowledged before the kill arrived again.
      const afterKill = arrivals.filter((a) => a.restarted);
      expect(afterKill.filter((a) => acknowledged.has(a.id))).toEqual([]);
      // Sent twice: only messages in flight at the kill (the endpoint's 4 concurrent sends at most).
      const counts = new Map<string, number>();
      for (const a of arrivals) counts.set(a.id, (counts.get(a.id) ?? 0) + 1);
      const twice = [...counts].filter(([, n]) => n > 1);
      expect(twice.length).toBeLessThanOrEqual(4);
      for (const [id, n] of twice) {
        expect(n).toBe(2);
        expect(receivedBeforeKill.has(id)).toBe(true);
      }
      console.info(
        `webhooks SIGKILL: ${acknowledged.size} acknowledged at the kill, ${afterKill.length} delivered after the restart, ${twice.length} sent twice (in flight at the kill)`,
      );
    } finally {
      await stores?.eventStore.close();
      await stores?.readStore.close();
      await node?.kill();
      await receiver.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
