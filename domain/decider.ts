/** A fact in past tense. `data` is plain JSON. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/**
 * The pure heart of an aggregate: `decide` turns a command and the current state into new events (or throws
 * a `DomainError`); `evolve` folds an event into the state. No I/O, no clock: what they need comes in the command.
 */
export interface Decider<Command, State, Event extends DomainEvent> {
  initialState: State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
}

/** A rule of the domain was broken: the caller asked for something the domain refuses. */
export class DomainError extends Error {
  readonly code: string;
  /** The input field at fault (`limits.concurrency`), when the code's own field is too coarse to name it. */
  readonly field: string | undefined;
  constructor(code: string, message: string, field?: string) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.field = field;
  }
}
