import { type Decider, DomainError, type DomainEvent } from './decider.ts';

/**
 * Who the root admin is. Stream `system-root`: the first `RootAssigned` is appended with `no_stream`, so when
 * two admins are created at once exactly one of them becomes the root.
 */
export type RootAssignmentEvent = DomainEvent<'RootAssigned', { userId: string }>;
export type RootAssignmentCommand =
  | { type: 'AssignRoot'; userId: string }
  /** Re-assigns the root when the assigned user never came to be (a process died before registering them). */
  | { type: 'ReclaimRoot'; userId: string; abandonedBy: string };
export interface RootAssignmentState {
  rootUserId: string | null;
}

export const rootAssignmentDecider: Decider<RootAssignmentCommand, RootAssignmentState, RootAssignmentEvent> =
  {
    initialState: { rootUserId: null },
    decide(command, state) {
      if (state.rootUserId === command.userId) return [];
      const abandoned = command.type === 'ReclaimRoot' && state.rootUserId === command.abandonedBy;
      if (state.rootUserId !== null && !abandoned) {
        throw new DomainError('root_assigned', 'There already is a root admin.');
      }
      return [{ type: 'RootAssigned', data: { userId: command.userId } }];
    },
    evolve: (_state, event) => ({ rootUserId: event.data.userId }),
  };
