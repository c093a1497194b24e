import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_EVENT_TYPES } from '../../application/runtime/customEvents.ts';
import { bucketOf, PERCENTILE_PRECISION, percentile } from '../../application/runtime/stats.ts';
import {
  effectiveLimits,
  type WorkerCommand,
  type WorkerEvent,
  type WorkerState,
  worker,
} from '../../domain/worker.ts';
import { isForbiddenAddress, outboundFetch, safeLookup } from '../../infrastructure/net/outboundFetch.ts';
import { projections } from '../../projections/index.ts';
import { refusalOf } from '../kit/decider.ts';

const MAX = { memoryMb: 128, cpuMs: 1000, wallMs: 5000, concurrency: 8 };

function fold(events: WorkerEvent[]): WorkerState {
  return events.reduce(worker.evolve, worker.initialState);
}

function decideAll(commands: WorkerCommand[]): { state: WorkerState; events: WorkerEvent[] } {
  const events: WorkerEvent[] = [];
  for (const command of commands) events.push(...worker.decide(command, fold(events)));
  return { state: fold(events), events };
}

const create: WorkerCommand = {
  type: 'CreateWorker',
  workerId: 'w1',
  projectId: 'p1',
  name: ' Hello ',
  slug: 'hello',
  triggers: { events: ['OrderPlaced', 'GoalIncremented', 'OrderPlaced'], http: true, cron: ' */5 * * * * ' },
  enabled: true,
  limits: { cpuMs: 200 },
  language: 'javascript',
  maxLimits: MAX,
};

describe('the worker decider', () => {
  it('creates with normalised name and triggers', () => {
    const [created] = worker.decide(create, worker.initialState);
    expect(created).toEqual({
      type: 'WorkerCreated',
      data: {
        workerId: 'w1',
        projectId: 'p1',
        name: 'Hello',
        slug: 'hello',
        triggers: { events: ['GoalIncremented', 'OrderPlaced'], http: true, cron: '*/5 * * * *' },
        enabled: true,
        limits: { cpuMs: 200 },
        language: 'javascript',
      },
    });
  });

  it('numbers versions, activates the newest, rolls back, and ignores a redeploy of what runs', () => {
    const { state, events } = decideAll([
      create,
      { type: 'DeployWorker', source: 'a', sourceHash: 'ha' },
      { type: 'DeployWorker', source: 'b', sourceHash: 'hb' },
      { type: 'DeployWorker', source: 'b', sourceHash: 'hb' },
      { type: 'ActivateVersion', version: 1 },
      { type: 'ActivateVersion', version: 1 },
      // The source of version 2 is not what runs now: deploying it again makes version 3.
      { type: 'DeployWorker', source: 'b', sourceHash: 'hb' },
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'WorkerCreated',
      'WorkerDeployed',
      'WorkerDeployed',
      'WorkerVersionActivated',
      'WorkerDeployed',
    ]);
    expect(state).toMatchObject({
      latestVersion: 3,
      activeVersion: 3,
      versions: { 1: 'ha', 2: 'hb', 3: 'hb' },
    });
    expect(() => worker.decide({ type: 'ActivateVersion', version: 4 }, state)).toThrow(/no version 4/);
  });

  it('refuses limits beyond the maxima, bad triggers, and anything on a deleted worker', () => {
    const refusal = (command: WorkerCommand, state = worker.initialState) =>
      refusalOf(() => worker.decide(command, state)).code;
    expect(refusal({ ...create, limits: { cpuMs: 1001 } })).toBe('invalid_limits');
    expect(refusal({ ...create, limits: { memoryMb: 4 } })).toBe('invalid_limits');
    expect(refusal({ ...create, limits: { wallMs: 1.5 } })).toBe('invalid_limits');
    expect(refusal({ ...create, limits: { concurrency: 0 } })).toBe('invalid_limits');
    expect(refusal({ ...create, limits: { concurrency: 9 } })).toBe('invalid_limits');
    expect(
      worker.decide({ ...create, limits: { concurrency: 8 } }, worker.initialState)[0]?.data,
    ).toMatchObject({
      limits: { concurrency: 8 },
    });
    expect(refusal({ ...create, triggers: { ...create.triggers, events: ['order-placed'] } })).toBe(
      'invalid_triggers',
    );
    expect(refusal({ ...create, slug: 'Not A Slug' })).toBe('invalid_slug');
    const { state } = decideAll([create, { type: 'DeleteWorker' }]);
    expect(refusal({ type: 'SaveDraft', source: 'x', sourceHash: 'h' }, state)).toBe('worker_not_found');
    expect(
      refusal(
        { type: 'SaveDraft', source: 'x'.repeat(1024 * 1024 + 1), sourceHash: 'h' },
        fold(decideAll([create]).events),
      ),
    ).toBe('source_too_large');
  });

  it('updates only what changes', () => {
    const { state } = decideAll([create]);
    expect(
      worker.decide({ type: 'UpdateWorker', name: 'Hello', enabled: true, maxLimits: MAX }, state),
    ).toEqual([]);
    expect(
      worker.decide({ type: 'UpdateWorker', enabled: false, limits: {}, maxLimits: MAX }, state),
    ).toEqual([
      { type: 'WorkerUpdated', data: { workerId: 'w1', projectId: 'p1', enabled: false, limits: {} } },
    ]);
  });
});

describe('effective limits', () => {
  it("takes the worker's own limits, never above the installation's", () => {
    // The installation's concurrency is only a maximum: a worker that sets none runs one delivery at a time.
    expect(effectiveLimits(MAX, {})).toEqual({ ...MAX, concurrency: 1 });
    expect(effectiveLimits(MAX, { cpuMs: 200 })).toEqual({ ...MAX, cpuMs: 200, concurrency: 1 });
    // Chosen when the installation allowed more, then the installation lowered its limit.
    expect(
      effectiveLimits(
        { ...MAX, memoryMb: 64, concurrency: 2 },
        { memoryMb: 128, wallMs: 10, concurrency: 8 },
      ),
    ).toEqual({ memoryMb: 64, cpuMs: 1000, wallMs: 10, concurrency: 2 });
  });
});

describe('custom event types', () => {
  it('reserves every type a projection reacts to', () => {
    for (const projection of projections) {
      for (const type of projection.eventTypes ?? []) expect(BUILT_IN_EVENT_TYPES.has(type), type).toBe(true);
    }
  });
});

describe('duration statistics', () => {
  it('puts durations in log-scale buckets, four per doubling', () => {
    expect(bucketOf(1)).toBe(0);
    expect(bucketOf(2)).toBe(4);
    expect(bucketOf(1.18)).toBe(0);
    expect(bucketOf(1.2)).toBe(1);
    expect(bucketOf(0)).toBe(bucketOf(1e-9));
    expect(bucketOf(1e12)).toBe(bucketOf(1e9));
  });

  it('reads p50 and p95 within the stated precision', () => {
    for (const durations of [
      Array.from({ length: 1000 }, (_, i) => i + 1),
      Array.from({ length: 500 }, (_, i) => 0.2 + (i % 7) * 0.03),
      [3, 3, 3, 3, 250],
    ]) {
      const hist: Record<string, number> = {};
      for (const d of durations) {
        const key = `b${bucketOf(d) + 40}`;
        hist[key] = (hist[key] ?? 0) + 1;
      }
      const sorted = [...durations].sort((a, b) => a - b);
      for (const p of [0.5, 0.95]) {
        const exact = sorted[Math.ceil(p * sorted.length) - 1]!;
        const estimate = percentile(hist, p)!;
        expect(Math.abs(estimate - exact) / exact, `p${p * 100} of ${durations.length}`).toBeLessThanOrEqual(
          PERCENTILE_PRECISION + 1e-3,
        );
      }
    }
    expect(percentile({}, 0.5)).toBeNull();
  });
});

describe('outbound fetch', () => {
  it('knows the private, loopback, link-local and special addresses', () => {
    for (const address of [
      '127.0.0.1',
      '127.8.9.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      'fc00::abcd',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '64:ff9b::a9fe:a9fe',
      'not-an-ip',
    ]) {
      expect(isForbiddenAddress(address), address).toBe(true);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isForbiddenAddress(address), address).toBe(false);
    }
  });

  it('refuses a name that resolves to loopback where the connection is made', async () => {
    const error = await new Promise<Error | null>((resolve) =>
      safeLookup('localhost', { family: 0 }, (err) => resolve(err)),
    );
    expect(error?.message).toMatch(/refuses private, loopback and link-local addresses/);
  });

  describe('against a local server (private addresses allowed, as in tests)', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/slow') return; // never answers
        if (req.url === '/redirect') {
          res.writeHead(302, { location: 'http://169.254.169.254/' });
          res.end();
          return;
        }
        res.end('ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('times out, and does not follow redirects', async () => {
      const fetcher = outboundFetch({ allowPrivate: true, timeoutMs: 150 });
      const started = Date.now();
      await expect(fetcher.fetch({ url: `${base}/slow`, method: 'GET', headers: {} })).rejects.toThrow(
        /no complete answer within 0.15 s/,
      );
      expect(Date.now() - started).toBeLessThan(2000);
      const redirect = await fetcher.fetch({ url: `${base}/redirect`, method: 'GET', headers: {} });
      expect(redirect).toMatchObject({ status: 302, headers: { location: 'http://169.254.169.254/' } });
    });

    it('refuses the same server when private addresses are not allowed', async () => {
      await expect(outboundFetch().fetch({ url: `${base}/`, method: 'GET', headers: {} })).rejects.toThrow(
        /refuses private/,
      );
      await expect(
        outboundFetch().fetch({ url: `http://user:pw@example.com/`, method: 'GET', headers: {} }),
      ).rejects.toThrow(/credentials in the URL/);
    });
  });
});
