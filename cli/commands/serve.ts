import { Command } from '@oclif/core';
import { openM3m } from '../../infrastructure/composition.ts';
import { buildServer } from '../../infrastructure/http/server.ts';
import { loadCommandConfig } from '../bootstrap.ts';

export default class Serve extends Command {
  static override description = 'Start m3m: the API, the admin UI and the projections, on one port';
  static override examples = [
    '<%= config.bin %> serve',
    'M3M_PORT=8080 M3M_DATA_DIR=/var/lib/m3m <%= config.bin %> serve',
  ];

  async run(): Promise<void> {
    await this.parse(Serve);
    const { config, logger } = loadCommandConfig(this);
    const m3m = await openM3m(config, logger);
    await m3m.runner.start();
    await m3m.triggers.start();
    const app = await buildServer(m3m);
    await app.listen({ host: config.http.host, port: config.http.port });

    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      await app.close();
      await m3m.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  }
}
