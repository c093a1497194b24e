import { expect } from 'vitest';
import { type Decider, DomainError, type DomainEvent } from '../../domain/decider.ts';

/**
 * Given/when/then for a decider: past events, a command, then the events it decides or the refusal.
 *
 *     const given = deciderSpec(goal);
 *     given([defined]).when({ type: 'DeleteGoal' }).then([deleted]);
 *     given().when({ type: 'DeleteGoal' }).thenRefuses('goal_not_found');
 *
 * The state the command meets is folded from the given events with the decider's own `evolve`, so a test
 * speaks only in events and commands, as the event store does.
 */
export function deciderSpec<Command, State, Event extends DomainEvent>(
  decider: Decider<Command, State, Event>,
) {
  return (history: readonly Event[] = []) => {
    const state = () => history.reduce((s, e) => decider.evolve(s, e), decider.initialState);
    return {
      /** The state after the given events. */
      state,
      when(command: Command) {
        const decide = () => decider.decide(command, state());
        return {
          /** The command decides exactly these events (`[]`: nothing changes). */
          // biome-ignore lint/suspicious/noThenProperty: the given/when/then vocabulary; this object is never awaited
          then(expected: readonly Event[]): void {
            expect(decide()).toEqual(expected);
          },
          /** The command is refused with this code (and a message matching `message`, when given). */
          thenRefuses(code: string, message?: RegExp): void {
            expect(refusalOf(decide)).toEqual({
              code,
              message: message ? expect.stringMatching(message) : expect.any(String),
            });
          },
          /** The events it decides, for assertions of their own. */
          events: decide,
          /** The state once the decided events are folded in too. */
          stateAfter(): State {
            return decide().reduce((s, e) => decider.evolve(s, e), state());
          },
        };
      },
    };
  };
}

/** The code and message of the `DomainError` that `work` throws; fails the test when it throws none. */
export function refusalOf(work: () => unknown): { code: string; message: string } {
  try {
    work();
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal, but nothing was refused');
}
