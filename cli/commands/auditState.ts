import { Args, Command, Flags } from '@oclif/core';
import { isMoment, parseMoment, stateAt } from '../../application/audit/timeTravel.ts';
import { loadCommandConfig, openForCommand } from '../bootstrap.ts';
import { requireExistingData } from '../dataDir.ts';
import { refuseCommand, withRefusals } from '../refusal.ts';

export default class AuditState extends Command {
  static override description =
    'Print an entity (user, project, goal, worker, environment, project modules, data models, licences) as it was at an event position or a time, folded by the domain, secrets redacted. Reads the event store whether or not the server runs.';
  static override examples = [
    '<%= config.bin %> audit state project-0b6f… --at 2026-01-31T12:00:00Z',
    '<%= config.bin %> audit state user-2c1e… --at 1234',
  ];
  static override args = {
    stream: Args.string({
      description: "the entity's stream: <kind>-<id> (project-…, user-…, goal-…)",
      required: true,
    }),
  };
  static override flags = {
    at: Flags.string({ description: 'an event position or an ISO 8601 time (default: now)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AuditState);
    if (flags.at !== undefined && !isMoment(flags.at)) {
      refuseCommand(this, 'validation_failed', '--at must be an event position or an ISO 8601 time.', 2);
    }
    const { config, logger } = loadCommandConfig(this, { log: { level: 'warn' } });
    requireExistingData(this, config);
    const m3m = await openForCommand(this, config, logger);
    try {
      const state = await withRefusals(this, () => stateAt(m3m.commands, args.stream, parseMoment(flags.at)));
      this.log(JSON.stringify(state, null, 2));
    } finally {
      await m3m.close();
    }
  }
}
