import { describe, expect, it } from 'vitest';
import { Jurisdictions, planTouches } from '../../src/trips/jurisdiction.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { plan } from '../helpers/fixtures.js';

describe('jurisdictions', () => {
  const p = plan({ origin: 'NLRTM', destination: 'BRSSZ', transshipments: ['ESALG'] });

  it('a plan touches a scope by its origin, destination or a transshipment, by UN/LOCODE or country', () => {
    expect(planTouches(p, ['NLRTM'])).toBe(true);
    expect(planTouches(p, ['BR'])).toBe(true);
    expect(planTouches(p, ['ESALG'])).toBe(true);
    expect(planTouches(p, ['ES'])).toBe(true);
    expect(planTouches(p, ['NLAMS', 'DE'])).toBe(false);
    // a country code is the first two letters of a port, not any two letters of it
    expect(planTouches(p, ['RT'])).toBe(false);
  });

  it('follows the trip directory: a new plan widens a centre at once', () => {
    const trips = new TripDirectory({ bindBeforeDepartureMs: 0, activeAfterEtaMs: 0 }, [p]);
    const j = new Jurisdictions([{ name: 'centre-de', label: null, scope: ['DE'] }], trips);
    const de = j.get('centre-de')!;
    expect(j.containerVisible(de, p.containerId)).toBe(false);
    expect(j.alertVisible(de, { containerId: p.containerId, tripId: p.tripId })).toBe(false);
    trips.upsert(plan({ tripId: 'T-DE', containerId: 'SEGU4182371', origin: 'DEHAM' }));
    expect(j.containerVisible(de, 'SEGU4182371')).toBe(true);
    expect(j.tripVisible(de, 'T-DE')).toBe(true);
    // an alert goes by its trip: the same container on a trip outside the scope stays hidden
    trips.upsert(plan({ tripId: 'T-DE-2', containerId: 'SEGU4182371', origin: 'NLRTM' }));
    expect(j.alertVisible(de, { containerId: 'SEGU4182371', tripId: 'T-DE-2' })).toBe(false);
    expect(j.alertVisible(de, { containerId: 'SEGU4182371', tripId: null })).toBe(true);
    // null is every centre
    expect(j.alertVisible(null, { containerId: 'X', tripId: 'nowhere' })).toBe(true);
  });
});
