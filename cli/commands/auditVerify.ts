import { join } from 'node:path';
import { Command } from '@oclif/core';
import { openSqliteEventStore } from '../../infrastructure/eventStore/sqliteEventStore.ts';
import { loadCommandConfig } from '../bootstrap.ts';
import { requireExistingData } from '../dataDir.ts';
import { refuseCommand } from '../refusal.ts';

export default class AuditVerify extends Command {
  static override description =
    'Check the embedded event store\'s tamper-evidence chain: reports the first position whose event or order was altered in the file, or "intact" with the count checked and the head link to note down.';
  static override examples = ['<%= config.bin %> audit verify'];

  async run(): Promise<void> {
    await this.parse(AuditVerify);
    const { config } = loadCommandConfig(this, { log: { level: 'warn' } });
    if (config.eventStore.kind !== 'sqlite') {
      refuseCommand(
        this,
        'event_chain_unavailable',
        `The event store is ${config.eventStore.kind}: the tamper-evidence chain is kept by the embedded SQLite store only.`,
      );
    }
    requireExistingData(this, config);
    const path = join(config.dataDir, 'events.sqlite');
    const store = openSqliteEventStore({ path });
    let verdict: ReturnType<typeof store.verifyChain>;
    try {
      verdict = store.verifyChain();
    } finally {
      await store.close();
    }
    if (verdict.intact) {
      this.log(`intact: ${verdict.checked} events checked in ${path}`);
      this.log(`head link: ${verdict.head}`);
      return;
    }
    refuseCommand(
      this,
      'event_chain_broken',
      `broken at position ${verdict.position}: ${verdict.detail}; ${verdict.checked} events before it are intact`,
    );
  }
}
