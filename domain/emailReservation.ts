import { type Decider, DomainError, type DomainEvent } from './decider.ts';

/**
 * Email uniqueness without a unique index on the write side: each address has a reservation stream
 * (`email-<sha256 of the normalized address>`) that one user holds at a time. Reserving appends with the
 * stream's revision as the expected revision, so of two concurrent claims exactly one wins, on SQLite and on
 * KurrentDB alike.
 */
export type EmailReservationEvent =
  | DomainEvent<'EmailReserved', { userId: string }>
  | DomainEvent<'EmailReleased', { userId: string }>;

export type EmailReservationCommand =
  | { type: 'ReserveEmail'; userId: string }
  | { type: 'ReleaseEmail'; userId: string };

export interface EmailReservationState {
  /** The user holding the address, `null` when it is free. */
  holder: string | null;
}

export const emailReservationDecider: Decider<
  EmailReservationCommand,
  EmailReservationState,
  EmailReservationEvent
> = {
  initialState: { holder: null },
  decide(command, state) {
    if (command.type === 'ReserveEmail') {
      if (state.holder === command.userId) return [];
      if (state.holder !== null)
        throw new DomainError('email_taken', 'This email address is already used by another user.');
      return [{ type: 'EmailReserved', data: { userId: command.userId } }];
    }
    // Releasing what someone else holds is a no-op: a late compensation must never free another user's email.
    if (state.holder !== command.userId) return [];
    return [{ type: 'EmailReleased', data: { userId: command.userId } }];
  },
  evolve(state, event) {
    if (event.type === 'EmailReserved') return { holder: event.data.userId };
    if (event.type === 'EmailReleased' && state.holder === event.data.userId) return { holder: null };
    return state;
  },
};
