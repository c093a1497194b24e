import { parentPort, workerData } from 'node:worker_threads';
import { EventSchemaRegistry } from '../../application/commands/eventSchemas.ts';
import {
  EventFeed,
  type FeedConsumer,
  type FeedPage,
  ResumeFromCheckpoint,
} from '../../application/eventFeed.ts';
import { identityProblem } from '../../application/storeConsistency.ts';
import { projections } from '../../projections/index.ts';
import { ProjectionRunner, type RebuildProgress } from '../../projections/projectionRunner.ts';
import { webhookOutboxProjection } from '../../projections/webhookOutbox.ts';
import { createLogger } from '../logging.ts';
import { openStores } from '../stores.ts';
import {
  type ErrorData,
  errorData,
  type FromThread,
  type RelaySpec,
  type Snapshot,
  type ThreadData,
  type ToThread,
} from './protocol.ts';
import { BusyPoll } from './threadWake.ts';
import { threadWriteLock } from './threadWriteLock.ts';

/**
 * The projection thread (ADR 30): the process's one follower of `$all` with the projections and the webhook
 * outbox as its consumers, on stores of its own; the HTTP thread's consumers (the runtime subscriber) are relayed
 * (`relay`): they get the pages of the types they declared by message. The HTTP thread's `host.ts` starts it.
 */

const port = parentPort!;
const data = workerData as ThreadData;
const post = (message: FromThread) => port.postMessage(message);

// Lines go to the HTTP thread, which writes them through its own logger's destination (one stdout, one order).
const logger = createLogger(
  { log: { ...data.config.log, level: data.logLevel as typeof data.config.log.level } },
  { write: (line: string) => post({ t: 'log', line }) },
);

let nextId = 1;
const asked = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();

/** Asks the HTTP thread something and waits for its answer. */
function ask<T>(message: (id: number) => FromThread): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    asked.set(id, { resolve: resolve as (value: unknown) => void, reject });
    post(message(id));
  });
}

function asError(error: ErrorData): Error {
  const made =
    error.name === 'ResumeFromCheckpoint'
      ? new ResumeFromCheckpoint(error.message)
      : new Error(error.message);
  if (error.stack) made.stack = error.stack;
  return made;
}

/** A consumer on the HTTP thread: the feed hands it pages here as to any other, and waits for each as for any other. */
function relay(spec: RelaySpec): FeedConsumer {
  return {
    name: spec.name,
    ...(spec.eventTypes ? { eventTypes: spec.eventTypes } : {}),
    resume: () => ask<number>((id) => ({ t: 'resume', id, name: spec.name })),
    handle: (page: FeedPage) => ask<void>((id) => ({ t: 'page', id, name: spec.name, page })),
  };
}

async function main(): Promise<void> {
  const lock = threadWriteLock(data.lock, 'projections');
  const { eventStore, readStore, eventStoreProblem } = await openStores(data.config, logger, {
    readStoreWriteLock: lock,
  });
  // Told of the HTTP thread's appends when idle, looking again after each turn's pages while there are more
  // (`threadWake.ts`).
  const poll = new BusyPoll(data.wake, () => eventStore.wake?.() ?? false);
  const schemas = new EventSchemaRegistry();
  const feed = new EventFeed({
    eventStore,
    logger: logger.child({ component: 'feed' }),
    ...(data.backoff ? { backoff: data.backoff } : {}),
    verify: async () => eventStoreProblem() ?? (await identityProblem(eventStore, readStore)),
  });
  const runner = new ProjectionRunner({
    eventStore,
    readStore,
    schemas,
    projections,
    feed,
    logger: logger.child({ component: 'projections' }),
  });
  const outbox = new ProjectionRunner({
    eventStore,
    readStore,
    schemas,
    projections: [webhookOutboxProjection(() => post({ t: 'nudge' }))],
    feed,
    logger: logger.child({ component: 'webhook-outbox' }),
  });

  const snapshot = (): Snapshot => ({
    runner: runner.status(),
    outbox: outbox.status(),
    feed: { halted: feed.halted, lastError: feed.lastError, consumers: feed.status() },
  });
  const report = () => post({ t: 'status', snapshot: snapshot() });
  // After every page a consumer handled, once per turn: what `waitFor` and `/health` read on the HTTP thread.
  let reporting = false;
  feed.progress.subscribe(() => {
    if (reporting) return;
    reporting = true;
    setImmediate(() => {
      reporting = false;
      report();
      poll.settled();
    });
  });
  // Lag in seconds and states move without pages too.
  const ticker = setInterval(report, 500);

  let closing = false;
  const calls: Record<string, (args: unknown[], id: number) => Promise<unknown>> = {
    'runner.start': () => runner.start(),
    'runner.stop': () => runner.stop(),
    'runner.catchUp': () => runner.catchUp(),
    'runner.replay': (args, id) =>
      runner.replay(args[0] as string[] | undefined, (progress: RebuildProgress) =>
        post({ t: 'progress', id, progress }),
      ),
    'outbox.start': () => outbox.start(),
    'outbox.stop': () => outbox.stop(),
    'outbox.catchUp': () => outbox.catchUp(),
    'outbox.replay': (args) => outbox.replay(args[0] as string[] | undefined),
    'feed.join': (args) => feed.join((args[0] as RelaySpec[]).map(relay)),
    'feed.leave': (args) => feed.leave(args[0] as string[]),
    'feed.start': async () => feed.start(),
    'feed.stop': () => feed.stop(),
    'feed.recheck': () => feed.recheck(),
    'thread.close': async () => {
      closing = true;
      clearInterval(ticker);
      poll.close();
      await outbox.stop();
      await runner.stop();
      await feed.stop();
      await eventStore.close();
      await readStore.close();
    },
  };

  port.on('message', (message: ToThread) => {
    switch (message.t) {
      case 'appended':
        poll.told();
        return;
      case 'answer': {
        const waiting = asked.get(message.id);
        asked.delete(message.id);
        if (!waiting) return;
        if (message.ok) waiting.resolve(message.value);
        else waiting.reject(asError(message.error));
        return;
      }
      case 'crash':
        setImmediate(() => {
          throw new Error('projection thread: crash asked for (a test)');
        });
        return;
      case 'call': {
        const call = calls[`${message.target}.${message.method}`];
        const run = call
          ? call(message.args, message.id)
          : Promise.reject(new Error(`unknown call ${message.target}.${message.method}`));
        run.then(
          (value) => {
            // The state the call left behind is known before its answer.
            if (!closing) report();
            post({ t: 'reply', id: message.id, ok: true, value });
          },
          (error: unknown) => {
            if (!closing) report();
            post({ t: 'reply', id: message.id, ok: false, error: errorData(error) });
          },
        );
        return;
      }
    }
  });
  post({ t: 'ready', runner: runner.projectionNames, outbox: outbox.projectionNames });
  report();
}

main().catch((error: unknown) => post({ t: 'failed', error: errorData(error) }));
