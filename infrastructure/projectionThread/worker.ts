import { setImmediate as nextTurn } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { EventSchemaRegistry } from '../../application/commands/eventSchemas.ts';
import {
  EventFeed,
  type FeedConsumer,
  type FeedPage,
  type RelayFilter,
  ResumeFromCheckpoint,
} from '../../application/eventFeed.ts';
import type { RecordedEvent } from '../../application/ports/eventStore.ts';
import { listenedPairs, mayBeListenedTo } from '../../application/runtime/eventTriggers.ts';
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
  RELAY_TELL_MS,
  REPORT_MS,
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
/** How many on the HTTP thread wait for a position (`RemoteRunner.waitFor`). */
const waiters = new Int32Array(data.waiting);
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

/** Which of a page's events a relayed consumer gets (`RelayFilter`). */
type Keep = (events: readonly RecordedEvent[]) => Promise<readonly RecordedEvent[]>;

interface Relay {
  consumer: FeedConsumer;
  close(): void;
}

/**
 * A consumer on the HTTP thread: the feed hands it pages here as to any other, and waits for each as for any other.
 * With `keep`, a page is relayed with only the events it keeps; one left with none is not relayed at all: the
 * position it reached is owed, and told (as a page without events) after `RELAY_TELL_MS` unless a page carries it
 * first. What is asked of the HTTP thread goes in order, one thing at a time.
 */
function relay(spec: RelaySpec, keep: Keep | null, beforePage: () => void): Relay {
  let chain: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const run = chain.then(work);
    chain = run.catch(() => {});
    return run;
  };
  /** Pages handed to the HTTP thread cover up to here; those left out, up to `owed`. */
  let told = 0;
  let owed = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const send = async (page: FeedPage) => {
    beforePage();
    await ask<void>((id) => ({ t: 'page', id, name: spec.name, page }));
    told = Math.max(told, page.upTo);
  };
  const tell = () => {
    timer = null;
    // Failed (the consumer left meanwhile): the next page left out or relayed tells it again.
    void inTurn(async () => {
      if (closed || owed <= told) return;
      await send({ events: [], upTo: owed });
    }).catch(() => {});
  };
  const consumer: FeedConsumer = {
    name: spec.name,
    ...(spec.eventTypes ? { eventTypes: spec.eventTypes } : {}),
    resume: () =>
      inTurn(() => {
        // It drops what it held; pages come again from its checkpoint.
        told = owed = 0;
        if (timer) clearTimeout(timer);
        timer = null;
        return ask<number>((id) => ({ t: 'resume', id, name: spec.name }));
      }),
    handle: async (page: FeedPage) => {
      const events = keep ? await keep(page.events) : page.events;
      if (keep && events.length === 0) {
        owed = Math.max(owed, page.upTo);
        if (!timer && !closed) {
          timer = setTimeout(tell, RELAY_TELL_MS);
          timer.unref();
        }
        return;
      }
      await inTurn(() => send(events === page.events ? page : { events, upTo: page.upTo }));
    },
  };
  return {
    consumer,
    close: () => {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/** A status report's states and errors: a change of them is reported at once. */
function stateKey(snapshot: Snapshot): string {
  const parts: (string | null)[] = [snapshot.feed.halted, snapshot.feed.lastError];
  for (const s of [...snapshot.runner, ...snapshot.outbox, ...snapshot.feed.consumers]) {
    parts.push(s.state, s.lastErrorAt);
  }
  return parts.join('\u0000');
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
  // What `waitFor` and `/health` read on the HTTP thread: after the pages consumers handled, at most every
  // `REPORT_MS` (each report is a structured clone for the HTTP thread to read); at once when a state or an error
  // changed, when the HTTP thread waits for a position, before a page is relayed, before a call's answer.
  let lastKey = '';
  let reportedAt = 0;
  let reportTimer: NodeJS.Timeout | null = null;
  const report = (now = snapshot()) => {
    if (reportTimer) clearTimeout(reportTimer);
    reportTimer = null;
    lastKey = stateKey(now);
    reportedAt = Date.now();
    post({ t: 'status', snapshot: now });
  };
  const reportSoon = () => {
    if (Atomics.load(waiters, 0) > 0 || Date.now() - reportedAt >= REPORT_MS) {
      report();
      return;
    }
    const now = snapshot();
    if (stateKey(now) !== lastKey) {
      report(now);
      return;
    }
    reportTimer ??= setTimeout(() => report(), reportedAt + REPORT_MS - Date.now());
  };
  const flushReport = () => {
    if (reportTimer) report();
  };
  // Once per turn after pages were handled.
  let reporting = false;
  feed.progress.subscribe(() => {
    if (reporting) return;
    reporting = true;
    setImmediate(() => {
      reporting = false;
      reportSoon();
      poll.settled();
    });
  });
  // Lag in seconds and states move without pages too.
  const ticker = setInterval(() => report(), 500);

  // What the thread may leave out of a relayed consumer's pages. `eventTriggers`: events no worker listens to,
  // as the workers read model has them once it includes the page's last event (as the runtime subscriber
  // matches each event once the read models include it, `readModelsAt`).
  const keepers: Record<RelayFilter, Keep> = {
    eventTriggers: async (events) => {
      if (events.length === 0) return events;
      await runner.waitFor(events.at(-1)!.position, 60_000, ['workers']);
      // The memo reads the workers' checkpoint once per turn: one read earlier in this turn may be from before
      // the commit just waited for (`readModelMemo.ts`). From the next turn, it is read after it.
      await nextTurn();
      const pairs = await listenedPairs(readStore);
      return events.filter((event) => mayBeListenedTo(pairs, event));
    },
  };
  const relays = new Map<string, Relay>();
  const join = async (specs: RelaySpec[]) => {
    const joining = specs.map((spec) => relay(spec, spec.filter ? keepers[spec.filter] : null, flushReport));
    try {
      await feed.join(joining.map((r) => r.consumer));
    } catch (error) {
      for (const r of joining) r.close();
      throw error;
    }
    for (const r of joining) relays.set(r.consumer.name, r);
  };
  const leave = (names: string[]) => {
    for (const name of names) {
      relays.get(name)?.close();
      relays.delete(name);
    }
  };

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
    'feed.join': (args) => join(args[0] as RelaySpec[]),
    'feed.leave': async (args) => {
      leave(args[0] as string[]);
      await feed.leave(args[0] as string[]);
    },
    'feed.start': async () => feed.start(),
    'feed.stop': async () => {
      leave([...relays.keys()]);
      await feed.stop();
    },
    'feed.recheck': () => feed.recheck(),
    'thread.close': async () => {
      closing = true;
      clearInterval(ticker);
      if (reportTimer) clearTimeout(reportTimer);
      leave([...relays.keys()]);
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
      case 'waiting':
        // Reported at every turn with pages while it waits; a report held back until now goes at once.
        flushReport();
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
