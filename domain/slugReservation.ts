import { type Decider, DomainError } from './decider.ts';

/**
 * Uniqueness of a slug within a scope (live project slugs, a project's goal slugs, global goal slugs) through
 * one reservation stream per slug, appended with the expected revision: of two writers racing for the same
 * slug, the second one's append conflicts, it re-decides against the first one's reservation, and fails with
 * `slug_taken`. The stream names are the application's business; the decider only knows holders.
 */
export type SlugReservationCommand =
  | { type: 'ReserveSlug'; scope: string; slug: string; holderId: string; at: string }
  /** Releasing a slug the holder does not hold is a no-op: release is safe to repeat. */
  | { type: 'ReleaseSlug'; scope: string; slug: string; holderId: string }
  /**
   * Takes over a reservation the application found abandoned (its holder does not use the slug: a crash
   * between "reserve" and "use" or between "stop using" and "release"). Refused when the holder changed since.
   */
  | { type: 'ReclaimSlug'; scope: string; slug: string; holderId: string; abandonedBy: string; at: string };

export type SlugReservationEvent =
  | { type: 'SlugReserved'; data: { scope: string; slug: string; holderId: string; at: string } }
  | {
      type: 'SlugReleased';
      data: { scope: string; slug: string; holderId: string; reason: 'released' | 'abandoned' };
    };

export interface SlugReservationState {
  holderId: string | null;
  /** When the current holder reserved it (ISO 8601). */
  since: string | null;
}

export const SLUG_RESERVATION_EVENT_TYPES = ['SlugReserved', 'SlugReleased'] as const;

export function slugTaken(slug: string): DomainError {
  return new DomainError('slug_taken', `The slug "${slug}" is already taken.`);
}

export const slugReservation: Decider<SlugReservationCommand, SlugReservationState, SlugReservationEvent> = {
  initialState: { holderId: null, since: null },

  decide(command, state) {
    const { scope, slug, holderId } = command;
    switch (command.type) {
      case 'ReserveSlug':
        if (state.holderId === holderId) return [];
        if (state.holderId !== null) throw slugTaken(slug);
        return [{ type: 'SlugReserved', data: { scope, slug, holderId, at: command.at } }];
      case 'ReleaseSlug':
        if (state.holderId !== holderId) return [];
        return [{ type: 'SlugReleased', data: { scope, slug, holderId, reason: 'released' } }];
      case 'ReclaimSlug': {
        if (state.holderId === holderId) return [];
        const reserve: SlugReservationEvent = {
          type: 'SlugReserved',
          data: { scope, slug, holderId, at: command.at },
        };
        if (state.holderId === null) return [reserve];
        if (state.holderId !== command.abandonedBy) throw slugTaken(slug);
        return [
          {
            type: 'SlugReleased',
            data: { scope, slug, holderId: command.abandonedBy, reason: 'abandoned' },
          },
          reserve,
        ];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'SlugReserved':
        return { holderId: event.data.holderId, since: event.data.at };
      case 'SlugReleased':
        return event.data.holderId === state.holderId ? { holderId: null, since: null } : state;
    }
  },
};
