import { Args, Command, Flags } from '@oclif/core';
import { diffBetween, isMoment, parseMoment } from '../../application/audit/timeTravel.ts';
import { loadCommandConfig, openForCommand } from '../bootstrap.ts';
import { requireExistingData } from '../dataDir.ts';
import { refuseCommand, withRefusals } from '../refusal.ts';

export default class AuditDiff extends Command {
  static override description =
    'Print what changed in an entity between two moments (event positions or times): each field that differs, before and after, secrets redacted.';
  static override examples = [
    '<%= config.bin %> audit diff project-0b6f… --from 2026-01-01 --to 2026-02-01',
    '<%= config.bin %> audit diff user-2c1e… --from 120 --json',
  ];
  static override args = {
    stream: Args.string({
      description: "the entity's stream: <kind>-<id> (project-…, user-…, goal-…)",
      required: true,
    }),
  };
  static override flags = {
    from: Flags.string({
      description: 'the first moment: an event position or an ISO 8601 time',
      required: true,
    }),
    to: Flags.string({ description: 'the second moment (default: now)' }),
    json: Flags.boolean({ description: 'the whole answer as JSON instead of lines', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AuditDiff);
    for (const flag of ['from', 'to'] as const) {
      const given = flags[flag];
      if (given !== undefined && !isMoment(given)) {
        refuseCommand(
          this,
          'validation_failed',
          `--${flag} must be an event position or an ISO 8601 time.`,
          2,
        );
      }
    }
    const { config, logger } = loadCommandConfig(this, { log: { level: 'warn' } });
    requireExistingData(this, config);
    const m3m = await openForCommand(this, config, logger);
    try {
      const diff = await withRefusals(this, () =>
        diffBetween(m3m.commands, args.stream, parseMoment(flags.from), parseMoment(flags.to)),
      );
      if (flags.json) {
        this.log(JSON.stringify(diff, null, 2));
        return;
      }
      const at = (asOf: typeof diff.from) =>
        asOf ? `position ${asOf.position} (${asOf.time})` : 'before its first event';
      this.log(`${diff.entity} ${diff.stream}: ${at(diff.from)} → ${at(diff.to)}`);
      if (diff.changes.length === 0) this.log('no change');
      for (const change of diff.changes) {
        this.log(`${change.field}: ${JSON.stringify(change.before)} → ${JSON.stringify(change.after)}`);
      }
    } finally {
      await m3m.close();
    }
  }
}
