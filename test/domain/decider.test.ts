import { describe, expect, it } from 'vitest';
import { type Decider, DomainError } from '../../domain/decider.ts';
import { deciderSpec, refusalOf } from '../kit/decider.ts';

type Event = { type: 'Added'; data: { n: number } };
type Command = { type: 'Add'; n: number };
const counter: Decider<Command, number, Event> = {
  initialState: 0,
  decide: (command, total) => {
    if (command.n < 1) throw new DomainError('invalid_increment', 'at least 1');
    if (total + command.n > 10) throw new DomainError('too_much', 'at most 10 in all');
    return [{ type: 'Added', data: { n: command.n } }];
  },
  evolve: (total, event) => total + event.data.n,
};
const given = deciderSpec(counter);
const added = (n: number): Event => ({ type: 'Added', data: { n } });

describe('decider contract and the given/when/then kit', () => {
  it('folds the given events, then decides the command against that state', () => {
    expect(given([added(4), added(5)]).state()).toBe(9);
    given([added(4)])
      .when({ type: 'Add', n: 6 })
      .then([added(6)]);
    expect(
      given([added(4)])
        .when({ type: 'Add', n: 6 })
        .stateAfter(),
    ).toBe(10);
  });

  it('reports a refusal by its code and message', () => {
    given([added(9)])
      .when({ type: 'Add', n: 2 })
      .thenRefuses('too_much', /at most 10/);
    given().when({ type: 'Add', n: 0 }).thenRefuses('invalid_increment');
  });

  it('a DomainError carries a stable code beside its message', () => {
    const error = new DomainError('goal_not_found', 'The goal does not exist.');
    expect(error).toBeInstanceOf(Error);
    expect({ name: error.name, code: error.code, message: error.message }).toEqual({
      name: 'DomainError',
      code: 'goal_not_found',
      message: 'The goal does not exist.',
    });
  });

  it('fails a test that expects a refusal where there is none, and never hides other errors', () => {
    expect(() => refusalOf(() => 1)).toThrow(/expected a refusal/);
    expect(() =>
      refusalOf(() => {
        throw new TypeError('a bug');
      }),
    ).toThrow(TypeError);
  });
});
