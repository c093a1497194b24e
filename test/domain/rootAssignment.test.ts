import { describe, it } from 'vitest';
import { type RootAssignmentEvent, rootAssignmentDecider } from '../../domain/rootAssignment.ts';
import { deciderSpec } from '../kit/decider.ts';

const given = deciderSpec(rootAssignmentDecider);
const assigned = (userId: string): RootAssignmentEvent => ({ type: 'RootAssigned', data: { userId } });

describe('root assignment', () => {
  it('makes the first admin the root, once', () => {
    given()
      .when({ type: 'AssignRoot', userId: 'u1' })
      .then([assigned('u1')]);
    given([assigned('u1')])
      .when({ type: 'AssignRoot', userId: 'u1' })
      .then([]);
    given([assigned('u1')])
      .when({ type: 'AssignRoot', userId: 'u2' })
      .thenRefuses('root_assigned');
  });

  it('re-assigns a root that never came to be, unless someone else holds it by now', () => {
    given([assigned('ghost')])
      .when({ type: 'ReclaimRoot', userId: 'u2', abandonedBy: 'ghost' })
      .then([assigned('u2')]);
    given([assigned('u3')])
      .when({ type: 'ReclaimRoot', userId: 'u2', abandonedBy: 'ghost' })
      .thenRefuses('root_assigned');
  });
});
