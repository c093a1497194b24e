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
  | { type: 'ReleaseEmail'; userId: string }
  /**
   * Takes over a reservation the application found abandoned (its holder does not use the address: a process
   * died between reserving and registering, or between giving the address up and releasing it). Refused when
   * the holder changed since.
   */
  | { type: 'ReclaimEmail'; userId: string; abandonedBy: string };

export const emailTaken = () =>
  new DomainError('email_taken', 'This email address is already used by another user.');

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
    const reserved: EmailReservationEvent = { type: 'EmailReserved', data: { userId: command.userId } };
    if (command.type === 'ReserveEmail') {
      if (state.holder === command.userId) return [];
      if (state.holder !== null) throw emailTaken();
      return [reserved];
    }
    if (command.type === 'ReclaimEmail') {
      if (state.holder === command.userId) return [];
      if (state.holder === null) return [reserved];
      if (state.holder !== command.abandonedBy) throw emailTaken();
      return [{ type: 'EmailReleased', data: { userId: command.abandonedBy } }, reserved];
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
