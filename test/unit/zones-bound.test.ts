import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CompiledZone, distanceToZoneKm, insideAnyZone, locateInZones, polygonZone } from '../../src/trips/compile.js';

/**
 * Polygon zones carry a bounding circle so `locateInZones` skips a polygon
 * that cannot be nearer than one already measured, and `insideAnyZone` asks
 * only whether a point is inside: both must answer exactly as measuring to
 * every zone does.
 */

/** A ring of 3-8 vertices round (lat, lon), each 0.5-40 km out, closed. */
const ring = fc
  .record({ lat: fc.double({ min: -70, max: 70, noNaN: true }), lon: fc.double({ min: -179, max: 179, noNaN: true }), radii: fc.array(fc.double({ min: 0.5, max: 40, noNaN: true }), { minLength: 3, maxLength: 8 }) })
  .map(({ lat, lon, radii }) => {
    const pts: Array<[number, number]> = radii.map((r, i) => {
      const a = (2 * Math.PI * i) / radii.length;
      return [lon + (r * Math.cos(a)) / (111.2 * Math.cos((lat * Math.PI) / 180)), lat + (r * Math.sin(a)) / 111.2];
    });
    pts.push(pts[0]!);
    return pts;
  });

function exhaustive(zones: readonly CompiledZone[], lat: number, lon: number): { name: string | null; km: number } {
  let best: CompiledZone | null = null;
  let km = Infinity;
  for (const z of zones) {
    const d = distanceToZoneKm(z, lat, lon);
    if (d < km) {
      km = d;
      best = z;
    }
  }
  return { name: best?.name ?? null, km };
}

describe('polygon zones: bounding circles change no answer', () => {
  it('locateInZones and insideAnyZone agree with measuring to every zone', () => {
    fc.assert(
      fc.property(fc.array(ring, { minLength: 1, maxLength: 6 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -1.5, max: 1.5, noNaN: true }), fc.double({ min: -1.5, max: 1.5, noNaN: true }), (rings, pick, dLat, dLon) => {
        const zones = rings.map((r, i) => polygonZone(`zone ${i}`, r));
        // a point near one of the zones (inside, on the edge's side or up to ~170 km off), so the nearest is often close
        const anchor = rings[Math.min(rings.length - 1, Math.floor(pick * rings.length))]![0]!;
        const lat = Math.max(-89, Math.min(89, anchor[1] + dLat));
        const lon = anchor[0] + dLon;
        const got = locateInZones(zones, lat, lon);
        const want = exhaustive(zones, lat, lon);
        expect(got.nearest?.name ?? null).toBe(want.name);
        expect(got.nearestKm).toBe(want.km);
        expect(insideAnyZone(zones, lat, lon)).toBe(want.km === 0);
      }),
      { numRuns: 400, seed: 1205 },
    );
  });

  it('the bounding circle holds every vertex', () => {
    const z = polygonZone('square', [
      [4.0, 51.9],
      [4.2, 51.9],
      [4.2, 52.0],
      [4.0, 52.0],
      [4.0, 51.9],
    ]);
    expect(z.bound!.km).toBeGreaterThan(5);
    expect(z.bound!.km).toBeLessThan(12);
    expect(locateInZones([z], 51.95, 4.1).inside).toBe(z);
    expect(insideAnyZone([z], 51.95, 4.1)).toBe(true);
    expect(insideAnyZone([z], 53, 4.1)).toBe(false);
  });
});
