import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventSchemaRegistry } from '../../application/commands/eventSchemas.ts';
import { openSqliteEventStore } from '../../infrastructure/eventStore/sqliteEventStore.ts';
import { openSqliteReadStore } from '../../infrastructure/readStore/sqliteReadStore.ts';
import { ProjectionRunner } from '../../projections/projectionRunner.ts';
import { expectedLedger, ledgerProjection, readLedger } from '../kit/ledger.ts';

const child = join(import.meta.dirname, '../kit/crashChild.ts');

/** Runs the child until it has acknowledged `acks` appends, then SIGKILLs it; returns the acknowledged ids. */
function runAndKill(dir: string, acks: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let buffer = '';
    let stderr = '';
    proc.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    proc.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ack ')) acked.push(line.slice(4));
      }
      if (acked.length >= acks) proc.kill('SIGKILL');
    });
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

describe('crash safety of appends and projections', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('after SIGKILLs mid-projection, the restarted model equals a full rebuild and no acknowledged append is lost', async () => {
    dir = await mkdtemp(join(tmpdir(), 'm3m-crash-'));
    const acked: string[] = [];
    for (const acks of [150, 400, 250]) acked.push(...(await runAndKill(dir, acks)));

    const eventStore = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    const readStore = openSqliteReadStore({ path: join(dir, 'read.sqlite') });
    try {
      const stored = new Set<string>();
      for (let position = 0; ; ) {
        const page = await eventStore.readAll({ fromPosition: position, limit: 1000 });
        if (page.length === 0) break;
        for (const event of page) stored.add(event.id);
        position = page.at(-1)!.position;
      }
      expect(acked.length).toBeGreaterThanOrEqual(800);
      expect(acked.filter((id) => !stored.has(id))).toEqual([]);

      const runner = new ProjectionRunner({
        eventStore,
        readStore,
        schemas: new EventSchemaRegistry(),
        projections: [ledgerProjection()],
      });
      await runner.catchUp();
      const afterRestart = await readLedger(readStore);
      const fold = await expectedLedger(eventStore);
      expect(afterRestart).toEqual(fold);

      await runner.replay();
      expect(await readLedger(readStore)).toEqual(afterRestart);
    } finally {
      await eventStore.close();
      await readStore.close();
    }
  }, 120_000);
});
