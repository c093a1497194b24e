import { Command } from '@oclif/core';
import { connectionDrainer } from '../../infrastructure/http/drain.ts';
import { buildServer } from '../../infrastructure/http/server.ts';
import { logStartupUrls } from '../../infrastructure/http/startupLines.ts';
import { loadCommandConfig, openForCommand } from '../bootstrap.ts';

export default class Serve extends Command {
  static override description = 'Start m3m: the API, the admin UI and the projections, on one port';
  static override examples = [
    '<%= config.bin %> serve',
    'M3M_PORT=8080 M3M_DATA_DIR=/var/lib/m3m <%= config.bin %> serve',
  ];

  async run(): Promise<void> {
    await this.parse(Serve);
    const { config, logger } = loadCommandConfig(this);
    const m3m = await openForCommand(this, config, logger);
    await m3m.runner.start();
    await m3m.triggers.start();
    const app = await buildServer(m3m);
    const drainer = connectionDrainer(app.server);
    await app.listen({ host: config.http.host, port: config.http.port });
    logStartupUrls(logger, app.server.address());

    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: finishing the requests in flight');
      const { forced } = await drainer.drain();
      if (forced > 0) logger.warn({ connections: forced }, 'closed connections still busy after 10 s');
      await app.close();
      await m3m.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  }
}
