import { Command, Flags } from '@oclif/core';
import { connectionDrainer } from '../../infrastructure/http/drain.ts';
import { gracefulStop } from '../../infrastructure/http/gracefulStop.ts';
import { buildServer } from '../../infrastructure/http/server.ts';
import { logStartupUrls } from '../../infrastructure/http/startupLines.ts';
import { rebuildReadModels } from '../../infrastructure/replay.ts';
import { loadCommandConfig, openForCommand } from '../bootstrap.ts';

export default class Serve extends Command {
  static override description = 'Start m3m: the API, the admin UI and the projections, on one port';
  static override examples = [
    '<%= config.bin %> serve',
    'M3M_PORT=8080 M3M_DATA_DIR=/var/lib/m3m <%= config.bin %> serve',
    '<%= config.bin %> serve --replay-if-behind',
  ];
  static override flags = {
    'replay-if-behind': Flags.boolean({
      description:
        'when the read store is ahead of the event store (restored from an older backup, lost) or belongs to another one, rebuild it as `m3m replay` does before serving',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    const { config, logger } = loadCommandConfig(this);
    // The feed and the projections run in a thread of their own: this one serves HTTP (ADR 30).
    const m3m = await openForCommand(this, config, logger, { projectionThread: true });
    await m3m.runner.start();
    await m3m.triggers.start();
    if (m3m.feed.halted && flags['replay-if-behind']) {
      logger.warn({ reason: m3m.feed.halted }, 'read store does not match the event store: replaying');
      await rebuildReadModels(m3m);
      await m3m.feed.recheck();
    }
    await m3m.webhooks.start();
    const app = await buildServer(m3m);
    const drainer = connectionDrainer(app.server);
    await app.listen({ host: config.http.host, port: config.http.port });
    logStartupUrls(logger, app.server.address());

    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: finishing the requests in flight');
      await gracefulStop({
        drain: () => drainer.drain(),
        stopTriggers: () => m3m.triggers.stop(),
        closeServer: () => app.close(),
        close: () => m3m.close(),
        logger,
      });
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  }
}
