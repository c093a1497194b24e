import { Command, Flags } from '@oclif/core';
import { rebuildReadModels } from '../../infrastructure/replay.ts';
import { projections } from '../../projections/index.ts';
import type { RebuildProgress } from '../../projections/projectionRunner.ts';
import { loadCommandConfig, openForCommand } from '../bootstrap.ts';
import { requireExistingData } from '../dataDir.ts';
import { ProgressBar } from '../progressBar.ts';
import { refuseCommand } from '../refusal.ts';

export default class Replay extends Command {
  static override description =
    'Rebuild read models from the event store, all in one pass over it. Each is built into fresh collections and swapped in when caught up, so a running server keeps answering from the old model meanwhile.';
  static override examples = [
    '<%= config.bin %> replay',
    '<%= config.bin %> replay --projection event_type_stats',
  ];
  static override flags = {
    projection: Flags.string({
      description: 'rebuild only this projection (repeatable); default: all',
      multiple: true,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Replay);
    // Progress goes to the terminal; only warnings and errors are logged meanwhile.
    // A usage error first (exit 2), before any data is looked at.
    const known = projections.map((p) => p.name);
    const unknown = (flags.projection ?? []).filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      refuseCommand(
        this,
        'unknown_projection',
        `Unknown projection: ${unknown.join(', ')}. Known projections: ${known.join(', ')}`,
        2,
      );
    }
    const { config, logger } = loadCommandConfig(this, { log: { level: 'warn' } });
    requireExistingData(this, config);
    const m3m = await openForCommand(this, config, logger);
    try {
      const bar = new ProgressBar();
      let last: RebuildProgress | null = null;
      const onProgress = (progress: RebuildProgress) => {
        if (progress.projection !== last?.projection) {
          if (last) bar.finish(last);
          bar.start();
        }
        last = progress;
        bar.update(progress);
      };
      // All of them: the read store is realigned with the event store too (what `serve --replay-if-behind` does).
      const summaries = flags.projection?.length
        ? await m3m.runner.replay(flags.projection, onProgress)
        : await rebuildReadModels(m3m, onProgress);
      if (last) bar.finish(last);
      // One pass reads the store for all of them: its events are counted once, then what each projection applied.
      const events = Math.max(0, ...summaries.map((s) => s.events));
      const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      const rate = (n: number, ms: number) => `${Math.round(n / Math.max(0.001, ms / 1000))} ev/s`;
      this.log(`\nReplay summary: ${events} events in the store`);
      for (const s of summaries) {
        this.log(
          `  ${s.projection.padEnd(28)} applied ${String(s.applied).padStart(10)}  ${seconds(s.durationMs).padStart(9)}  ${rate(s.events, s.durationMs)}`,
        );
      }
      const pass = Math.max(0, ...summaries.map((s) => s.durationMs));
      this.log(
        `  ${summaries.length} projection(s) rebuilt in ${seconds(pass)}, one pass over $all (${rate(events, pass)})`,
      );
    } finally {
      await m3m.close();
    }
  }
}
