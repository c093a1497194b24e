import { describe, expect, it } from 'vitest';
import { type SlugReservationEvent, slugReservation } from '../../domain/slugReservation.ts';
import { deciderSpec } from '../kit/decider.ts';

const given = deciderSpec(slugReservation);
const at = '2030-01-01T00:00:00.000Z';
const scope = 'projects';
const reserved = (holderId: string): SlugReservationEvent => ({
  type: 'SlugReserved',
  data: { scope, slug: 'shop', holderId, at },
});
const released = (holderId: string, reason: 'released' | 'abandoned'): SlugReservationEvent => ({
  type: 'SlugReleased',
  data: { scope, slug: 'shop', holderId, reason },
});

describe('slug reservation', () => {
  it('reserves a free slug for one holder; the same holder again changes nothing', () => {
    given()
      .when({ type: 'ReserveSlug', scope, slug: 'shop', holderId: 'p1', at })
      .then([reserved('p1')]);
    given([reserved('p1')])
      .when({ type: 'ReserveSlug', scope, slug: 'shop', holderId: 'p1', at })
      .then([]);
    expect(given([reserved('p1')]).state()).toEqual({ holderId: 'p1', since: at });
  });

  it('refuses a slug another holder has', () => {
    given([reserved('p1')])
      .when({ type: 'ReserveSlug', scope, slug: 'shop', holderId: 'p2', at })
      .thenRefuses('slug_taken', /"shop"/);
  });

  it('releases for its holder only, so a release may be repeated safely', () => {
    given([reserved('p1')])
      .when({ type: 'ReleaseSlug', scope, slug: 'shop', holderId: 'p1' })
      .then([released('p1', 'released')]);
    given([reserved('p1')])
      .when({ type: 'ReleaseSlug', scope, slug: 'shop', holderId: 'p2' })
      .then([]);
    given([reserved('p1'), released('p1', 'released')])
      .when({ type: 'ReleaseSlug', scope, slug: 'shop', holderId: 'p1' })
      .then([]);
  });

  it('takes over an abandoned reservation, and refuses when the holder changed since', () => {
    given([reserved('ghost')])
      .when({ type: 'ReclaimSlug', scope, slug: 'shop', holderId: 'p2', abandonedBy: 'ghost', at })
      .then([released('ghost', 'abandoned'), reserved('p2')]);
    given([reserved('p3')])
      .when({ type: 'ReclaimSlug', scope, slug: 'shop', holderId: 'p2', abandonedBy: 'ghost', at })
      .thenRefuses('slug_taken');
  });
});
