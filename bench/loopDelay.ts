// Preloaded by `npm run bench:goals` into each server it measures (`node --import`): the event loop's delay, the
// time a ready callback (a request's data, a commit's answer) waits behind whatever runs, is what a tail latency
// is made of. Each SIGUSR2 writes the delay since the previous one to BENCH_LOOP_DELAY_FILE as JSON and starts
// counting again; the bench sends one as its load starts and one as it ends.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.BENCH_LOOP_DELAY_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  process.on('SIGUSR2', () => {
    writeFileSync(
      file,
      JSON.stringify({
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
        count: histogram.count,
      }),
    );
    histogram.reset();
  });
}
