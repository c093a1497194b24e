import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EventSchemaRegistry } from '../../application/commands/eventSchemas.ts';
import type { NewEvent } from '../../application/ports/eventStore.ts';
import { findAll } from '../../application/ports/findAll.ts';
import { WEBHOOK_MESSAGES } from '../../application/webhooks/readModel.ts';
import { ProjectionRunner } from '../../projections/projectionRunner.ts';
import {
  OUTBOX_ENDPOINTS,
  OUTBOX_GOALS,
  OUTBOX_MODULES,
  webhookOutboxProjection,
} from '../../projections/webhookOutbox.ts';
import { openTempStores, type TempStores } from '../kit/stores.ts';

const meta = (i: number) => ({
  actorId: null,
  correlationId: randomUUID(),
  causationId: null,
  source: 'api' as const,
  schemaVersion: 1,
  timestamp: new Date(Date.UTC(2026, 2, 1, 0, 0, i)).toISOString(),
});

/**
 * The webhook outbox folds the increments that queue nothing into one `$inc` per goal (`applyPage`). Whatever
 * the page holds — the module switched on and off, endpoints made, narrowed, disabled, another project's
 * increments between — the outcome must be what `apply` makes one event at a time: the same messages with the
 * same totals in their bodies, the same goal totals.
 */
describe('webhook outbox folded per page', () => {
  const opened: TempStores[] = [];
  afterEach(async () => {
    for (const stores of opened.splice(0)) await stores.cleanup();
  });

  const run = async (events: NewEvent[], fold: boolean) => {
    const stores = await openTempStores();
    opened.push(stores);
    const projection = webhookOutboxProjection();
    if (!fold) delete projection.applyPage;
    const runner = new ProjectionRunner({
      eventStore: stores.eventStore,
      readStore: stores.readStore,
      schemas: new EventSchemaRegistry(),
      projections: [projection],
    });
    await runner.start();
    // One append: one page holding every event, live.
    const { position } = await stores.eventStore.append('batch', events, { expectedRevision: 'any' });
    await runner.waitFor(position);
    await runner.stop();
    const all = async (name: string) =>
      (await findAll(stores.readStore.collection(name))).sort((a, b) => a.id.localeCompare(b.id));
    return {
      messages: (await all(WEBHOOK_MESSAGES)).map(({ id, body, webhookId, eventType }) => ({
        id,
        body,
        webhookId,
        eventType,
      })),
      goals: await all(OUTBOX_GOALS),
      modules: await all(OUTBOX_MODULES),
      endpoints: await all(OUTBOX_ENDPOINTS),
    };
  };

  it('queues the same messages with the same totals as applying one event at a time', async () => {
    const [p, q] = [randomUUID(), randomUUID()];
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const [w1, w2] = [randomUUID(), randomUUID()];
    const defined = (goalId: string, projectId: string) => ({
      type: 'GoalDefined',
      data: { goalId, projectId, slug: goalId.slice(0, 8), name: 'G', goalType: 'counter' },
    });
    const inc = (goalId: string, by: number, projectId: string | null) => ({
      type: 'GoalIncremented',
      data: { goalId, by, day: '2026-03-01', projectId },
    });
    const module = (type: string, projectId: string) => ({
      type,
      data: { projectId, moduleCode: 'webhooks' },
    });
    const webhook = (webhookId: string, projectId: string, eventTypes: string[] | null) => ({
      type: 'WebhookCreated',
      data: {
        webhookId,
        projectId,
        encryptedSecret: 'x',
        url: 'https://example.test/hook',
        description: '',
        eventTypes,
        enabled: true,
        rateLimitPerSecond: 10,
      },
    });
    const script = [
      defined(a, p),
      defined(b, p),
      defined(c, q),
      inc(a, 1, p), // module off: no message
      inc(a, 2, p),
      inc(c, 3, q),
      module('ProjectModuleEnabled', p),
      inc(a, 4, p), // on, no endpoint: no message
      webhook(w1, p, ['goal.created']),
      inc(b, 5, p), // an endpoint, not for increments: no message
      inc(a, 6, p),
      webhook(w2, p, null),
      inc(a, 7, p), // queued, total 20
      inc(b, 8, p), // queued, total 13
      inc(c, 9, q), // other project, module off
      inc(b, 10, null), // by a user on a global goal: no project, no message
      { type: 'WebhookDisabled', data: { webhookId: w2, projectId: p, reason: 'failing', detail: '' } },
      inc(a, 11, p), // disabled: no message
      { type: 'WebhookUpdated', data: { webhookId: w2, projectId: p, changes: { enabled: true } } },
      inc(a, 12, p), // queued, total 43
      module('ProjectModuleDisabled', p),
      inc(a, 13, p), // off again
      defined(randomUUID(), p),
      inc(b, 14, p),
    ];
    // Fixed ids: a message id is derived from its event's.
    const events: NewEvent[] = script.map((e, i) => ({ ...e, id: randomUUID(), metadata: meta(i) }));
    const folded = await run(events, true);
    const oneByOne = await run(events, false);
    expect(folded).toEqual(oneByOne);
    const increments = folded.messages
      .filter((m) => m.eventType === 'goal.incremented')
      .map((m) => JSON.parse(m.body as string).data.total)
      .sort((x: number, y: number) => x - y);
    expect(increments).toEqual([13, 20, 43]);
    const totals = Object.fromEntries(folded.goals.map((g) => [g.id, g.total]));
    expect(totals).toMatchObject({ [a]: 56, [b]: 37, [c]: 12 });
  });
});
