import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kmAtMost, kmBetween } from '../../src/geo/distance.js';

// LOCATION_JUMP skips the great circle when this bound already says the step
// is short or slow: the bound must never be below the distance the rules
// measure, anywhere on the globe (poles, the antimeridian, points a metre
// apart and half the world apart).
describe('kmAtMost', () => {
  const lat = fc.double({ min: -90, max: 90, noNaN: true });
  const lon = fc.double({ min: -180, max: 180, noNaN: true });
  it('is never below kmBetween', () => {
    const near = fc.tuple(lat, lon, fc.double({ min: -0.01, max: 0.01, noNaN: true }), fc.double({ min: -0.01, max: 0.01, noNaN: true })).map(([la, lo, dla, dlo]) => [
      { lat: la, lon: lo },
      { lat: Math.max(-90, Math.min(90, la + dla)), lon: Math.max(-180, Math.min(180, lo + dlo)) },
    ]);
    const far = fc.tuple(lat, lon, lat, lon).map(([a, b, c, d]) => [
      { lat: a, lon: b },
      { lat: c, lon: d },
    ]);
    fc.assert(
      fc.property(fc.oneof(near, far), ([a, b]) => {
        const km = kmBetween(a!, b!);
        if (Number.isNaN(km)) return; // (antipodes, where geokdbush's sine squared rounds above 1: no bound to keep)
        expect(kmAtMost(a!, b!)).toBeGreaterThanOrEqual(km);
      }),
      { numRuns: 5000 },
    );
  });

  it('is close to the distance along a meridian, and twice it or so diagonally at 60 degrees', () => {
    const a = { lat: 10, lon: 20 };
    const b = { lat: 10.1, lon: 20 };
    expect(kmAtMost(a, b) / kmBetween(a, b)).toBeCloseTo(1, 5);
    const c = { lat: 60, lon: 20 };
    const d = { lat: 60.1, lon: 20.1 };
    const ratio = kmAtMost(c, d) / kmBetween(c, d);
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(2);
  });
});
