import { describe, expect, it } from 'vitest';
import { gracefulStop } from '../../infrastructure/http/gracefulStop.ts';

// The three-node PostgreSQL cluster test restarts a node with SIGTERM and SIGKILLs it after 5 s. The drain held
// idle keep-alive connections for up to 10 s before the runtime stopped, so the kill landed mid-delivery and
// another node ran the event a second time ("… ran 2 times", taken over from the restarted node).
describe('m3m serve stopping', () => {
  it('stops deliveries and cron ticks while the HTTP drain still waits, and closes the rest after both', async () => {
    const steps: string[] = [];
    let endDrain!: () => void;
    let triggersStopped!: () => void;
    const stoppedTriggers = new Promise<void>((resolve) => {
      triggersStopped = resolve;
    });
    const stopping = gracefulStop({
      drain: async () => {
        steps.push('drain');
        await new Promise<void>((resolve) => {
          endDrain = resolve;
        });
        steps.push('drained');
        return { forced: 0 };
      },
      stopTriggers: async () => {
        steps.push('triggers');
        triggersStopped();
      },
      closeServer: async () => {
        steps.push('server');
      },
      close: async () => {
        steps.push('close');
      },
      logger: { warn: () => {} },
    });
    // The drain has not ended (a client keeps an idle connection open): the runtime is stopping regardless.
    await stoppedTriggers;
    expect(steps).toEqual(['drain', 'triggers']);
    endDrain();
    await stopping;
    expect(steps).toEqual(['drain', 'triggers', 'drained', 'server', 'close']);
  });
});
