import { auditProjection } from './audit.ts';
import { dataModelsProjection } from './dataModels.ts';
import { environmentProjection } from './environment.ts';
import { eventTypeStats } from './eventTypeStats.ts';
import { goalStatsProjection } from './goalStats.ts';
import { goalsProjection } from './goals.ts';
import { moduleLicensesProjection } from './moduleLicenses.ts';
import type { Projection } from './projection.ts';
import { projectModulesProjection } from './projectModules.ts';
import { projectsProjection } from './projects.ts';
import { usersProjection } from './users.ts';
import { webhooksProjection } from './webhooks.ts';
import { workersProjection } from './workers.ts';

/** Every read model m3m maintains. */
export const projections: readonly Projection[] = [
  eventTypeStats,
  usersProjection,
  projectsProjection,
  goalsProjection,
  goalStatsProjection,
  environmentProjection,
  projectModulesProjection,
  moduleLicensesProjection,
  workersProjection,
  dataModelsProjection,
  auditProjection,
  webhooksProjection,
];
