// Preloaded by `npm run bench:goals` into each server it measures (`node --import`): the event loop's delay, the
// time a ready callback (a request's data, a commit's answer) waits behind whatever runs, is what a tail latency
// is made of. Each SIGUSR2 writes the delay since the previous one to BENCH_LOOP_DELAY_FILE as JSON and starts
// counting again; the bench sends one as its load starts and one as it ends. With it, the CPU time of this
// (the HTTP) thread and of the whole process over the same span: the projection thread's work (ADR 30) and the
// rest are the difference.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const file = process.env.BENCH_LOOP_DELAY_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const cpuMs = (usage: NodeJS.CpuUsage) => Math.round((usage.user + usage.system) / 1000);
  let thread = process.threadCpuUsage();
  let whole = process.cpuUsage();
  let utilization = performance.eventLoopUtilization();
  process.on('SIGUSR2', () => {
    const threadSpent = process.threadCpuUsage(thread);
    const wholeSpent = process.cpuUsage(whole);
    const utilized = performance.eventLoopUtilization(utilization);
    thread = process.threadCpuUsage();
    whole = process.cpuUsage();
    utilization = performance.eventLoopUtilization();
    writeFileSync(
      file,
      JSON.stringify({
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
        count: histogram.count,
        httpThreadCpuMs: cpuMs(threadSpent),
        processCpuMs: cpuMs(wholeSpent),
        utilization: Math.round(utilized.utilization * 100) / 100,
      }),
    );
    histogram.reset();
  });
}
