import { eventTypeStats } from './eventTypeStats.ts';
import type { Projection } from './projection.ts';
import { usersProjection } from './users.ts';

/** Every read model m3m maintains. */
export const projections: readonly Projection[] = [eventTypeStats, usersProjection];
