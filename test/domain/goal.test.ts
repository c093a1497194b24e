import { describe, expect, it } from 'vitest';
import {
  fullGoalSlug,
  type GoalCommand,
  type GoalEvent,
  goal,
  incrementGoal,
  MAX_INCREMENT,
  utcDay,
} from '../../domain/goal.ts';
import { deciderSpec, refusalOf } from '../kit/decider.ts';

const given = deciderSpec(goal);
const define: Extract<GoalCommand, { type: 'DefineGoal' }> = {
  type: 'DefineGoal',
  goalId: 'g1',
  projectId: 'p1',
  slug: 'orders',
  name: '  Orders ',
  color: 'green',
  description: ' Paid orders ',
  goalType: 'daily_counter',
  allowedProjectIds: [],
};
const defined: GoalEvent = {
  type: 'GoalDefined',
  data: {
    goalId: 'g1',
    projectId: 'p1',
    slug: 'orders',
    name: 'Orders',
    color: 'green',
    description: 'Paid orders',
    goalType: 'daily_counter',
    allowedProjectIds: [],
  },
};

describe('goal', () => {
  it('defines a goal with its name and description trimmed', () => {
    given().when(define).then([defined]);
    given([defined]).when(define).thenRefuses('goal_exists');
  });

  it('refuses a bad slug, type, colour or description, and allowed projects on a project goal', () => {
    given()
      .when({ ...define, slug: 'Has-Hyphen' })
      .thenRefuses('invalid_slug');
    given()
      .when({ ...define, goalType: 'gauge' as never })
      .thenRefuses('invalid_goal_type');
    given()
      .when({ ...define, color: 'grey' as never })
      .thenRefuses('invalid_color');
    given()
      .when({ ...define, description: 'x'.repeat(2001) })
      .thenRefuses('invalid_description');
    given()
      .when({ ...define, allowedProjectIds: ['p2'] })
      .thenRefuses('not_a_global_goal');
  });

  it('keeps a global goal’s allowed projects sorted and without duplicates', () => {
    const events = given()
      .when({ ...define, projectId: null, allowedProjectIds: ['p2', 'p1', 'p2'] })
      .events();
    expect(events[0]?.data).toMatchObject({ projectId: null, allowedProjectIds: ['p1', 'p2'] });
  });

  it('records only what changes', () => {
    given([defined])
      .when({ type: 'UpdateGoal', name: 'Orders', color: 'green', description: 'Paid orders' })
      .then([]);
    given([defined])
      .when({ type: 'UpdateGoal', name: 'Sales', color: null })
      .then([
        {
          type: 'GoalUpdated',
          data: { goalId: 'g1', projectId: 'p1', changes: { name: 'Sales', color: null } },
        },
      ]);
  });

  it('deletes a live goal; a deleted or unknown goal is not found', () => {
    const deleted: GoalEvent = {
      type: 'GoalDeleted',
      data: { goalId: 'g1', projectId: 'p1', slug: 'orders' },
    };
    given([defined]).when({ type: 'DeleteGoal' }).then([deleted]);
    given([defined, deleted]).when({ type: 'DeleteGoal' }).thenRefuses('goal_not_found');
    given().when({ type: 'UpdateGoal', name: 'X' }).thenRefuses('goal_not_found');
  });

  it('increments by a whole number within bounds, on the UTC day', () => {
    const now = new Date('2026-01-02T23:59:59.999Z');
    expect(incrementGoal({ goalId: 'g1' }, 3, 'p1', now)).toEqual({
      type: 'GoalIncremented',
      data: { goalId: 'g1', by: 3, day: '2026-01-02', projectId: 'p1' },
    });
    for (const by of [0, -1, 1.5, MAX_INCREMENT + 1, Number.NaN]) {
      expect(refusalOf(() => incrementGoal({ goalId: 'g1' }, by, null, now)).code).toBe('invalid_increment');
    }
  });

  it('addresses a project goal as {project-slug}-{goal-slug}, a global goal by its own slug', () => {
    expect(fullGoalSlug('my-shop', 'orders')).toBe('my-shop-orders');
    expect(fullGoalSlug(null, 'signups')).toBe('signups');
  });
});

describe('utcDay', () => {
  it('is the ISO date of the instant, across day boundaries, back and forth, before 1970 and far ahead', () => {
    const instants = [
      '2026-01-02T23:59:59.999Z',
      '2026-01-03T00:00:00.000Z',
      '2026-01-02T23:59:59.999Z',
      '2026-01-02T00:00:00.000Z',
      '2026-01-01T23:59:59.999Z',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T00:00:00.000Z',
      '1960-02-29T12:00:00.000Z',
      '2400-02-29T23:59:59.999Z',
      '2026-01-02T12:00:00.000Z',
    ].map((s) => new Date(s));
    // And a walk over two years in uneven steps, then back.
    for (let ms = Date.UTC(2027, 0, 1); ms < Date.UTC(2029, 0, 1); ms += 7_777_777)
      instants.push(new Date(ms));
    for (let ms = Date.UTC(2029, 0, 1); ms > Date.UTC(2027, 0, 1); ms -= 5_555_555)
      instants.push(new Date(ms));
    for (const at of instants) expect(utcDay(at)).toBe(at.toISOString().slice(0, 10));
  });

  it('refuses an invalid date as toISOString does', () => {
    expect(() => utcDay(new Date(Number.NaN))).toThrow(RangeError);
  });
});
