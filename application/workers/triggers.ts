import { DomainError } from '../../domain/decider.ts';
import type { WorkerTriggers } from '../../domain/worker.ts';
import { cronProblem } from '../runtime/cron.ts';

/** A cron expression is checked with the scheduler's own parser when a worker is saved. */
export function checkCron(triggers: Partial<WorkerTriggers> | undefined): void {
  if (triggers?.cron === undefined || triggers.cron === null) return;
  const problem = cronProblem(triggers.cron);
  if (problem !== null) throw new DomainError('invalid_cron', problem);
}
