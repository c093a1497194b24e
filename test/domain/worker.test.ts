import { describe, expect, it } from 'vitest';
import {
  effectiveLimits,
  validateSource,
  WORKER_SOURCE_MAX_BYTES,
  type WorkerCommand,
  type WorkerEvent,
  worker,
} from '../../domain/worker.ts';
import { deciderSpec, refusalOf } from '../kit/decider.ts';

const given = deciderSpec(worker);
const MAX = { memoryMb: 128, cpuMs: 1000, wallMs: 5000, concurrency: 8 };
const create: Extract<WorkerCommand, { type: 'CreateWorker' }> = {
  type: 'CreateWorker',
  workerId: 'w1',
  projectId: 'p1',
  name: 'Hello',
  slug: 'hello',
  triggers: { events: ['OrderPlaced'], http: false, cron: null },
  enabled: true,
  limits: {},
  language: 'javascript',
  maxLimits: MAX,
};

describe('worker', () => {
  it('creates a worker once', () => {
    const [created] = given().when(create).events();
    expect(created).toMatchObject({
      type: 'WorkerCreated',
      data: { workerId: 'w1', projectId: 'p1', slug: 'hello' },
    });
    given([created as WorkerEvent])
      .when(create)
      .thenRefuses('worker_exists');
  });

  it('refuses a bad slug, bad triggers and limits beyond the installation’s', () => {
    given()
      .when({ ...create, slug: 'Hello World' })
      .thenRefuses('invalid_slug');
    given()
      .when({ ...create, triggers: { events: ['orderPlaced'], http: false, cron: null } })
      .thenRefuses('invalid_triggers');
    given()
      .when({ ...create, limits: { memoryMb: 4096 } })
      .thenRefuses('invalid_limits', /installation's maximum/);
  });

  it('deploys numbered versions, not the one that already runs, and rolls back to a deployed one', () => {
    const [created] = given().when(create).events() as WorkerEvent[];
    const deploy = (source: string): WorkerCommand => ({
      type: 'DeployWorker',
      source,
      sourceHash: `h-${source}`,
    });
    const v1 = given([created!]).when(deploy('a')).events();
    expect(v1).toMatchObject([{ type: 'WorkerDeployed', data: { version: 1, sourceHash: 'h-a' } }]);
    given([created!, ...v1])
      .when(deploy('a'))
      .then([]);
    const v2 = given([created!, ...v1])
      .when(deploy('b'))
      .events();
    expect(v2).toMatchObject([{ type: 'WorkerDeployed', data: { version: 2 } }]);
    given([created!, ...v1, ...v2])
      .when({ type: 'ActivateVersion', version: 1 })
      .then([{ type: 'WorkerVersionActivated', data: { workerId: 'w1', projectId: 'p1', version: 1 } }]);
    given([created!, ...v1])
      .when({ type: 'ActivateVersion', version: 7 })
      .thenRefuses('version_not_found');
  });

  it('deploys in the worker’s language; a changed language redeploys the same source', () => {
    const [created] = given()
      .when({ ...create, language: 'typescript' })
      .events() as WorkerEvent[];
    const deploy: WorkerCommand = { type: 'DeployWorker', source: 'a', sourceHash: 'h-a' };
    const v1 = given([created!]).when(deploy).events();
    expect(v1).toMatchObject([{ type: 'WorkerDeployed', data: { version: 1, language: 'typescript' } }]);
    const toJs = given([created!, ...v1])
      .when({ type: 'UpdateWorker', language: 'javascript', maxLimits: MAX })
      .events();
    expect(toJs).toMatchObject([{ type: 'WorkerUpdated', data: { language: 'javascript' } }]);
    expect(
      given([created!, ...v1, ...toJs])
        .when(deploy)
        .events(),
    ).toMatchObject([{ type: 'WorkerDeployed', data: { version: 2, language: 'javascript' } }]);
    given()
      .when({ ...create, language: 'coffeescript' as never })
      .thenRefuses('invalid_language');
  });

  it('reads events written before languages as JavaScript', () => {
    const { language: _, ...old } = given().when(create).events()[0]!.data as { language?: string };
    const state = given([
      { type: 'WorkerCreated', data: old } as WorkerEvent,
      {
        type: 'WorkerDeployed',
        data: { workerId: 'w1', projectId: 'p1', version: 1, source: 'a', sourceHash: 'h' },
      },
    ]).state();
    expect(state).toMatchObject({ language: 'javascript', versionLanguages: { 1: 'javascript' } });
  });

  it('an unknown worker is not found, whatever the command', () => {
    given()
      .when({ type: 'DeleteWorker' } as WorkerCommand)
      .thenRefuses('worker_not_found');
  });

  it('refuses a source beyond the size limit', () => {
    expect(refusalOf(() => validateSource('x'.repeat(WORKER_SOURCE_MAX_BYTES + 1))).code).toBe(
      'source_too_large',
    );
  });

  it('never gives a worker more than the installation allows', () => {
    expect(effectiveLimits(MAX, { cpuMs: 5000, concurrency: 8 })).toEqual(MAX);
    expect(effectiveLimits(MAX, { wallMs: 10 })).toEqual({ ...MAX, wallMs: 10, concurrency: 1 });
    // Chosen when the installation allowed more.
    expect(effectiveLimits({ ...MAX, concurrency: 4 }, { concurrency: 8 }).concurrency).toBe(4);
  });
});
