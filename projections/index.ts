import { eventTypeStats } from './eventTypeStats.ts';
import type { Projection } from './projection.ts';

/** Every read model m3m maintains. */
export const projections: readonly Projection[] = [eventTypeStats];
