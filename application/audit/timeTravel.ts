import { dataModel } from '../../domain/dataModel.ts';
import type { Decider, DomainEvent } from '../../domain/decider.ts';
import { environment } from '../../domain/environment.ts';
import { goal } from '../../domain/goal.ts';
import { licenses } from '../../domain/licenses.ts';
import { project } from '../../domain/project.ts';
import { projectModules } from '../../domain/projectModules.ts';
import { userDecider } from '../../domain/user.ts';
import { worker } from '../../domain/worker.ts';
import { upcastEvent } from '../commands/loadAggregate.ts';
import type { CommandDeps } from '../context.ts';
import { refuse } from '../errors.ts';
import { redact } from './redact.ts';

/**
 * Time travel: the state of an entity as of an event position or a time, folded from its stream by the same
 * deciders' `evolve` that the commands load it with, so that "what it looked like then" cannot drift from
 * what the domain thinks it was. Secrets are redacted like in the audit log. Reads the event store (audit
 * inspection is the one query that may, DESIGN §1), one stream, a page at a time.
 */

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
// biome-ignore lint/suspicious/noExplicitAny: a table of deciders of different types, used only to fold
type AnyDecider = Decider<any, any, DomainEvent>;
const ENTITIES: { entity: string; stream: RegExp; decider: AnyDecider }[] = [
  { entity: 'user', stream: new RegExp(`^user-${UUID}$`), decider: userDecider as AnyDecider },
  { entity: 'project', stream: new RegExp(`^project-${UUID}$`), decider: project as AnyDecider },
  { entity: 'goal', stream: new RegExp(`^goal-${UUID}$`), decider: goal as AnyDecider },
  { entity: 'worker', stream: new RegExp(`^worker-${UUID}$`), decider: worker as AnyDecider },
  { entity: 'environment', stream: new RegExp(`^environment-${UUID}$`), decider: environment as AnyDecider },
  {
    entity: 'project_modules',
    stream: new RegExp(`^project-modules-${UUID}$`),
    decider: projectModules as AnyDecider,
  },
  { entity: 'data_models', stream: new RegExp(`^data-models-${UUID}$`), decider: dataModel as AnyDecider },
  { entity: 'licenses', stream: new RegExp(`^module-licenses-${UUID}$`), decider: licenses as AnyDecider },
];

export const TIME_TRAVEL_STREAMS =
  'user-, project-, goal-, worker-, environment-, project-modules-, data-models-, module-licenses- followed by an id';

/** A position (every event at or before it) or an ISO time (every event recorded at or before it). */
export type Moment = { position: number } | { time: string };

export interface EntityState {
  stream: string;
  entity: string;
  /** The last event folded: what the state is as of. Null when the stream had no event yet then. */
  asOf: { position: number; time: string; type: string; revision: number } | null;
  /** The state as the domain folds it, secrets as `"[redacted]"`. */
  state: unknown;
}

export async function stateAt(
  deps: Pick<CommandDeps, 'eventStore' | 'schemas'>,
  stream: string,
  at: Moment,
): Promise<EntityState> {
  const entry = ENTITIES.find((e) => e.stream.test(stream));
  if (!entry) {
    throw refuse('unsupported_stream', `Time travel knows these streams: ${TIME_TRAVEL_STREAMS}.`);
  }
  const within = (event: { position: number; metadata: { timestamp: string } }) =>
    'position' in at ? event.position <= at.position : event.metadata.timestamp <= at.time;
  let state = entry.decider.initialState;
  let asOf: EntityState['asOf'] = null;
  for (let from = 0; ; ) {
    const page = await deps.eventStore.readStream(stream, { fromRevision: from, limit: 1000 });
    for (const recorded of page) {
      if (!within(recorded)) return { stream, entity: entry.entity, asOf, state: redact(state) };
      const event = upcastEvent(deps.schemas, recorded);
      state = entry.decider.evolve(state, { type: event.type, data: event.data });
      asOf = {
        position: recorded.position,
        time: recorded.metadata.timestamp,
        type: recorded.type,
        revision: recorded.revision,
      };
    }
    if (page.length < 1000) return { stream, entity: entry.entity, asOf, state: redact(state) };
    from = page.at(-1)!.revision + 1;
  }
}
