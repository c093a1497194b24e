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
export type AnyDecider = Decider<any, any, DomainEvent>;
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

/** The entity a stream holds and the decider that folds it, or undefined for a stream that is no entity. */
export function entityOfStream(stream: string): { entity: string; decider: AnyDecider } | undefined {
  return ENTITIES.find((e) => e.stream.test(stream));
}

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

/** `at` as the API and the CLI take it: a position (digits) or an ISO 8601 time; absent, the head. */
export function parseMoment(at: string | undefined): Moment {
  if (at === undefined) return { position: Number.MAX_SAFE_INTEGER };
  if (/^\d+$/.test(at)) return { position: Number(at) };
  return { time: new Date(at).toISOString() };
}

/** Whether `at` is a moment `parseMoment` takes. */
export function isMoment(at: string): boolean {
  return /^\d+$/.test(at) || (/^\d{4}-\d{2}-\d{2}/.test(at) && !Number.isNaN(Date.parse(at)));
}

/** One field that differs between two states: a dotted path, its value before and after (null when absent). */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The fields that differ between two states, as dotted paths into nested objects (`variables.API_TOKEN`);
 * arrays and scalars are compared whole. Sorted by path.
 */
export function diffStates(before: unknown, after: unknown, prefix = ''): FieldChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) =>
      diffStates(before[key] ?? null, after[key] ?? null, prefix ? `${prefix}.${key}` : key),
    );
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isPlainObject(before) && after === null)
    return diffStates(before, {}, prefix).map((c) => ({ ...c, after: null }));
  if (before === null && isPlainObject(after)) return diffStates({}, after, prefix);
  return [{ field: prefix || '(state)', before: before ?? null, after: after ?? null }];
}

export interface EntityDiff {
  stream: string;
  entity: string;
  from: EntityState['asOf'];
  to: EntityState['asOf'];
  /** The fields that differ from the first moment to the second, secrets as `"[redacted]"`. */
  changes: FieldChange[];
}

/** The difference between two moments of one entity, both folded by the domain. */
export async function diffBetween(
  deps: Pick<CommandDeps, 'eventStore' | 'schemas'>,
  stream: string,
  from: Moment,
  to: Moment,
): Promise<EntityDiff> {
  const [a, b] = [await stateAt(deps, stream, from), await stateAt(deps, stream, to)];
  return { stream, entity: a.entity, from: a.asOf, to: b.asOf, changes: diffStates(a.state, b.state) };
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
