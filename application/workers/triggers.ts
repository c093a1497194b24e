import { DomainError } from '../../domain/decider.ts';
import type { WorkerTriggers } from '../../domain/worker.ts';

/**
 * Cron syntax, checked when a worker is saved. The scheduler owns the real parser
 * (`application/workers/cron.ts`); until it is wired in here, a cron expression is five whitespace-separated
 * fields of the usual characters (numbers, `*`, `,`, `-`, `/`, names like `mon` or `jan`).
 */
const FIELD = /^[A-Za-z0-9*,\-/?]+$/;

export type CronValidator = (expression: string) => void;

export const fiveFieldCron: CronValidator = (expression) => {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 || !fields.every((f) => FIELD.test(f))) {
    throw new DomainError(
      'invalid_cron',
      'A cron expression has five fields: minute hour day-of-month month day-of-week (e.g. "*/5 * * * *").',
    );
  }
};

export function checkCron(triggers: Partial<WorkerTriggers> | undefined, validate: CronValidator): void {
  if (triggers?.cron !== undefined && triggers.cron !== null) validate(triggers.cron);
}
