import { describe, it } from 'vitest';
import { type EmailReservationEvent, emailReservationDecider } from '../../domain/emailReservation.ts';
import { deciderSpec } from '../kit/decider.ts';

const given = deciderSpec(emailReservationDecider);
const reserved = (userId: string): EmailReservationEvent => ({ type: 'EmailReserved', data: { userId } });
const released = (userId: string): EmailReservationEvent => ({ type: 'EmailReleased', data: { userId } });

describe('email reservation', () => {
  it('reserves a free address, and again for its holder changes nothing', () => {
    given()
      .when({ type: 'ReserveEmail', userId: 'u1' })
      .then([reserved('u1')]);
    given([reserved('u1')])
      .when({ type: 'ReserveEmail', userId: 'u1' })
      .then([]);
  });

  it('refuses an address someone else holds', () => {
    given([reserved('u1')])
      .when({ type: 'ReserveEmail', userId: 'u2' })
      .thenRefuses('email_taken');
  });

  it('releases only what the releaser holds: a late compensation never frees another user’s address', () => {
    given([reserved('u1')])
      .when({ type: 'ReleaseEmail', userId: 'u1' })
      .then([released('u1')]);
    given([reserved('u1')])
      .when({ type: 'ReleaseEmail', userId: 'u2' })
      .then([]);
    given([reserved('u1'), released('u1')])
      .when({ type: 'ReserveEmail', userId: 'u2' })
      .then([reserved('u2')]);
  });

  it('reclaims an abandoned reservation, unless its holder changed meanwhile', () => {
    given([reserved('ghost')])
      .when({ type: 'ReclaimEmail', userId: 'u2', abandonedBy: 'ghost' })
      .then([released('ghost'), reserved('u2')]);
    given([reserved('u3')])
      .when({ type: 'ReclaimEmail', userId: 'u2', abandonedBy: 'ghost' })
      .thenRefuses('email_taken');
    given()
      .when({ type: 'ReclaimEmail', userId: 'u2', abandonedBy: 'ghost' })
      .then([reserved('u2')]);
  });
});
