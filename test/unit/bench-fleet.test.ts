import { describe, expect, it } from 'vitest';
import { DAY, longVoyage, makePlans, simReadings, STANDARD_VOYAGE, startFraction, T0, VOYAGE_MS } from '../../bench/lib/fleet.mjs';
import { haversineKm } from '../../src/geo/distance.js';

// The benchmarks' fleet: a long run (the snapshot suite's 30 days) must keep
// every container on its trip, or the load it claims to measure is not there.
describe('bench fleet voyages', () => {
  it('keeps every container of a long voyage at sea for the whole run, moving at the speed it reports', () => {
    const runMs = (720 + 2) * 3_600_000;
    const voyage = longVoyage(40, runMs);
    const plans = makePlans(500, { voyage });
    for (let i = 0; i < plans.length; i++) {
      const eta = Date.parse(plans[i]!.eta);
      expect(eta - (T0 + runMs), `container ${i} reaches port within the run`).toBeGreaterThan(0);
      expect(startFraction(i, voyage) + runMs / voyage.ms).toBeLessThan(1);
    }
    // an hour's move along a leg matches the reported speed within 20 % (the route is drawn straight in lon/lat)
    const a = simReadings(7, T0 + 10 * DAY, voyage)[0]!;
    const b = simReadings(7, T0 + 10 * DAY + 3_600_000, voyage)[0]!;
    if (a.kind !== 'gps' || b.kind !== 'gps') throw new Error('expected fixes first');
    const kn = haversineKm([a.lon, a.lat], [b.lon, b.lat]) / 1.852;
    expect(b.speedKn).toBeLessThan(8);
    expect(Math.abs(kn - b.speedKn) / b.speedKn).toBeLessThan(0.2);
  });

  it('refuses a voyage too short for the run, and leaves the standard fleet as it was', () => {
    expect(() => longVoyage(20, 30 * DAY)).toThrow(/too short/);
    expect(STANDARD_VOYAGE.ms).toBe(VOYAGE_MS);
    const [p] = makePlans(1);
    expect(Date.parse(p!.departure)).toBe(T0 - Math.round(0.05 * VOYAGE_MS));
    expect(simReadings(3, T0)[0]).toMatchObject({ kind: 'gps', speedKn: 14 + 3 * 0.3 });
  });
});
