import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../application/ports/eventStore.ts';
import { type HostIdentity, PROCESSES, ProcessLease } from '../../application/processLease.ts';
import { type DeliveryDoc, deliveryId, WORKER_DELIVERIES } from '../../application/runtime/deliveries.ts';
import type { InvocationSummary } from '../../application/runtime/deliveryQueue.ts';
import type { InvokeWorkerRequest } from '../../application/runtime/invokeWorker.ts';
import { RuntimeSubscriber } from '../../application/runtime/runtimeSubscriber.ts';
import { expectStatus, send } from '../kit/http.ts';
import { createProject, createWorker } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * Delivery claims between processes (ADR 20): two or three runtime subscribers on one store, each with its own
 * process lease, stand for as many `m3m serve` processes (the whole thing with real processes and SIGKILL is
 * test/cluster/severalProcesses.test.ts). The host is simulated so a test can say which PIDs run; the
 * subscribers' `invoke` stands for the sandbox and holds an invocation open as long as the test wants.
 */
describe('delivery claims across processes', () => {
  let server: TestServer;
  let root: string;
  let apiKey: string;
  let workerId: string;
  const running = new Set<number>();
  const host = (pid: number, hostKey = 'host-a'): HostIdentity => ({
    hostKey,
    hostname: hostKey,
    pid,
    pidAlive: (p) => running.has(p),
  });
  const started: { subscriber: RuntimeSubscriber; lease: ProcessLease }[] = [];

  /** A process: its lease and its subscriber; `invoke` records each call and waits for `release`. */
  async function process_(
    pid: number,
    options: { hostKey?: string; ttlMs?: number; renewMs?: number; warnings?: string[] } = {},
  ) {
    running.add(pid);
    const { m3m } = server;
    const lease = new ProcessLease({
      readStore: m3m.readStore,
      clock: m3m.clock,
      host: host(pid, options.hostKey),
      ttlMs: options.ttlMs ?? 60_000,
      ...(options.renewMs ? { renewMs: options.renewMs } : {}),
    });
    const calls: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const subscriber = new RuntimeSubscriber({
      eventStore: m3m.eventStore,
      readStore: m3m.readStore,
      clock: m3m.clock,
      owners: lease,
      invoke: async (request: InvokeWorkerRequest): Promise<InvocationSummary> => {
        calls.push((request.trigger as { eventId: string }).eventId);
        await gate;
        return { id: `inv-${pid}-${calls.length}`, outcome: 'ok' };
      },
      readModelsAt: (position) => m3m.runner.waitFor(position),
      pollMs: 50,
      ...(options.warnings
        ? {
            logger: {
              info: () => {},
              warn: (_obj: object, msg: string) => options.warnings!.push(msg),
              error: () => {},
            },
          }
        : {}),
    });
    await lease.start();
    await subscriber.start();
    started.push({ subscriber, lease });
    return { lease, subscriber, calls, release: () => release() };
  }

  async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function increment(): Promise<RecordedEvent> {
    await expectStatus(
      send(server, 'POST', '/api/v1/goals/claims-orders/increment', {
        headers: { 'x-api-key': apiKey },
        body: { by: 1 },
      }),
      200,
    );
    const head = await server.m3m.eventStore.headPosition();
    const [event] = await server.m3m.eventStore.readAll({ fromPosition: head - 1 });
    return event!;
  }

  const delivery = (event: RecordedEvent) =>
    server.m3m.readStore.collection<DeliveryDoc>(WORKER_DELIVERIES).get(deliveryId(workerId, event.id));

  beforeAll(async () => {
    server = await startTestServer();
    root = await server.signInAsRoot();
    const project = await createProject(server, root, 'claims');
    apiKey = project.apiKey;
    await expectStatus(
      send(server, 'POST', `/api/v1/projects/${project.id}/goals`, {
        token: root,
        body: { slug: 'orders', name: 'Orders', type: 'counter' },
      }),
      201,
    );
    const worker = await createWorker(
      server,
      root,
      project.id,
      { name: 'counter', slug: 'counter', triggers: { events: ['GoalIncremented'] } },
      'export default { async onEvent() {} };\n',
    );
    workerId = worker.id;
    // The server's own subscriber would compete: the processes here are the test's.
    await server.m3m.triggers.subscriber.stop();
  });
  afterAll(async () => {
    for (const { subscriber, lease } of started) {
      await subscriber.stop();
      await lease.stop();
    }
    await server?.close();
  });

  it('a claim whose owner lives is never taken over: each delivery runs once with two processes on the event', async () => {
    const a = await process_(101);
    const b = await process_(102);
    const events: RecordedEvent[] = [];
    for (let i = 0; i < 5; i++) events.push(await increment());
    // Both processes receive every event; whoever claimed first runs it, and holds it (the gate is shut).
    await until('every delivery claimed', async () => {
      const docs = await Promise.all(events.map(delivery));
      return docs.every((d) => d?.status === 'in_flight');
    });
    await until('both subscribers past the events', () =>
      [a, b].every((p) => p.subscriber.status().received >= events.at(-1)!.position),
    );
    // Polls of the other process find the claims of a live process and leave them.
    await a.subscriber.pollNow();
    await b.subscriber.pollNow();
    await a.subscriber.pollNow();
    a.release();
    b.release();
    await until('every delivery succeeded', async () => {
      const docs = await Promise.all(events.map(delivery));
      return docs.every((d) => d?.status === 'succeeded');
    });
    const calls = [...a.calls, ...b.calls];
    for (const event of events) expect(calls.filter((id) => id === event.id)).toHaveLength(1);
    for (const doc of await Promise.all(events.map(delivery))) expect(doc?.takenOverFrom ?? null).toBeNull();
    await a.subscriber.stop();
    await b.subscriber.stop();
    await a.lease.stop();
    await b.lease.stop();
  });

  it('a process that is gone (its PID no longer runs on this host) has its claims taken over at once by a starting one', async () => {
    const dead = await process_(201); // its invocation never ends: it is "killed" below
    const event = await increment();
    await until('the dead process claimed it', async () => dead.calls.includes(event.id));
    const claim = (await delivery(event))!;
    expect(claim).toMatchObject({ status: 'in_flight', owner: dead.lease.bootId });
    // SIGKILL: the PID is gone; its lease (60 s) has not lapsed.
    running.delete(201);
    const startedAt = Date.now();
    const next = await process_(202);
    next.release();
    await until('the delivery run again by the new process', async () => {
      const doc = await delivery(event);
      return doc?.status === 'succeeded' && doc;
    });
    expect(Date.now() - startedAt).toBeLessThan(10_000); // not the lease's 60 s
    expect(next.calls.filter((id) => id === event.id)).toHaveLength(1);
    expect((await delivery(event))?.takenOverFrom).toBe(dead.lease.bootId);
    const processes = await next.lease.view();
    expect(processes.find((p) => p.bootId === dead.lease.bootId)?.alive ?? false).toBe(false);
    expect(processes.find((p) => p.self)).toMatchObject({ bootId: next.lease.bootId, alive: true });
    dead.release();
    for (const p of [dead, next]) {
      await p.subscriber.stop();
      await p.lease.stop();
    }
  });

  it('on another host, a process is gone once its lease lapses; until then its claims hold', async () => {
    // A lease of 1.5 s that is never renewed after its start: a process on another machine that stopped.
    const far = await process_(301, { hostKey: 'host-b', ttlMs: 1500, renewMs: 3_600_000 });
    const event = await increment();
    await until('the far process claimed it', async () => far.calls.includes(event.id));
    const near = await process_(302);
    near.release();
    await near.subscriber.pollNow();
    // Still live (within its lease): not taken over.
    const held = await delivery(event);
    const farDoc = await server.m3m.readStore
      .collection<{ id: string; expiresAt: number }>(PROCESSES)
      .get(far.lease.bootId);
    if (Date.now() < farDoc!.expiresAt)
      expect(held).toMatchObject({ status: 'in_flight', owner: far.lease.bootId });
    await until('taken over after the lease lapsed', async () => {
      const doc = await delivery(event);
      return doc?.status === 'succeeded' && doc;
    });
    expect(near.calls.filter((id) => id === event.id)).toHaveLength(1);
    expect((await delivery(event))?.takenOverFrom).toBe(far.lease.bootId);
    far.release();
    for (const p of [far, near]) {
      await p.subscriber.stop();
      await p.lease.stop();
    }
  });

  it('an owner that stalled past its lease does not write its outcome over the new owner: it is dropped, the new owner records its own', async () => {
    // A process on another host whose lease (1.5 s, never renewed) lapses while its invocation is still running:
    // a paused VM, say. Another process takes the delivery over and runs it; then the stalled one wakes up.
    const warnings: string[] = [];
    const stalled = await process_(401, { hostKey: 'host-b', ttlMs: 1500, renewMs: 3_600_000, warnings });
    const event = await increment();
    await until('the stalled process claimed it', async () => stalled.calls.includes(event.id));
    const next = await process_(402); // its gate stays shut: it holds the taken-over delivery
    await until('taken over and running in the new owner', async () => next.calls.includes(event.id));
    await until('claimed by the new owner', async () => {
      const doc = await delivery(event);
      return doc?.status === 'in_flight' && doc.owner === next.lease.bootId;
    });
    // The stalled owner finishes: without the compare-and-set its `succeeded` would land on the new owner's claim.
    stalled.release();
    await until('the stalled owner noticed it lost the claim', () =>
      warnings.some((w) => w.startsWith('event delivery outcome dropped')),
    );
    expect(await delivery(event)).toMatchObject({ status: 'in_flight', owner: next.lease.bootId });
    expect(stalled.subscriber.status().delivered.succeeded).toBe(0);
    next.release();
    await until('the new owner recorded its run', async () => {
      const doc = await delivery(event);
      return doc?.status === 'succeeded' && doc;
    });
    const done = (await delivery(event))!;
    expect(done.lastInvocationId).toBe(`inv-402-1`);
    expect(done.takenOverFrom).toBe(stalled.lease.bootId);
    for (const p of [stalled, next]) {
      await p.subscriber.stop();
      await p.lease.stop();
    }
  });
});
