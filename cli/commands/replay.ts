import { Command, Flags } from '@oclif/core';
import { openM3m } from '../../infrastructure/composition.ts';
import type { RebuildProgress } from '../../projections/projectionRunner.ts';
import { loadCommandConfig } from '../bootstrap.ts';
import { ProgressBar } from '../progressBar.ts';
import { refuseCommand } from '../refusal.ts';

export default class Replay extends Command {
  static override description =
    'Rebuild read models from the event store. Each is built into fresh collections and swapped in when caught up, so a running server keeps answering from the old model meanwhile.';
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
    const { config, logger } = loadCommandConfig(this, { log: { level: 'warn' } });
    const m3m = await openM3m(config, logger);
    try {
      const known = m3m.runner.projectionNames;
      const unknown = (flags.projection ?? []).filter((name) => !known.includes(name));
      if (unknown.length > 0) {
        refuseCommand(
          this,
          'unknown_projection',
          `Unknown projection: ${unknown.join(', ')}. Known projections: ${known.join(', ')}`,
          2,
        );
      }
      const bar = new ProgressBar();
      let last: RebuildProgress | null = null;
      const summaries = await m3m.runner.replay(flags.projection, (progress) => {
        if (progress.projection !== last?.projection) {
          if (last) bar.finish(last);
          bar.start();
        }
        last = progress;
        bar.update(progress);
      });
      if (last) bar.finish(last);
      this.log('\nReplay summary');
      for (const s of summaries) {
        const rate = Math.round(s.events / Math.max(0.001, s.durationMs / 1000));
        this.log(
          `  ${s.projection.padEnd(28)} ${String(s.events).padStart(10)} events  ${(s.durationMs / 1000).toFixed(2)} s  ${rate} ev/s`,
        );
      }
      const total = summaries.reduce((n, s) => n + s.events, 0);
      this.log(`  ${summaries.length} projection(s) rebuilt from ${total} events`);
    } finally {
      await m3m.close();
    }
  }
}
