import { describe, expect, it } from 'vitest';
import { lineString, pointToLineDistance } from '@turf/turf';
import { greatCircleKm } from '../../src/geo/distance.js';
import { trackIndex } from '../../src/geo/point-index.js';

describe('track index', () => {
  // A real trans-Pacific plan (Vancouver -> Yokohama), crossing the antimeridian.
  const route: Array<[number, number]> = [
    [-123.08, 49.29],
    [-124.9, 48.5],
    [-140, 50],
    [-175, 47],
    [170, 45],
    [155, 40],
    [141, 34.6],
    [139.675, 35.43],
  ];
  const idx = trackIndex(route);
  it('gives the distance to the track within a few km of projecting onto every segment, on both sides of 180°', () => {
    for (const [lat, lon] of [
      [49.5, -150],
      [48.5, -160],
      [47.8, -168],
      [46.837, -177.197],
      [47.0, -178.5],
      [46.5, 178],
      [46.11, 176.4],
      [45.41, 172.12],
      [46.0, 175],
      [44, 165],
      [41, 158],
      [30, 150],
    ] as const) {
      const exact = pointToLineDistance([lon, lat], lineString(route), { units: 'kilometers' });
      expect(Math.abs(idx.nearest(lat, lon)!.km - exact), `${lat},${lon}`).toBeLessThan(3);
    }
  });
  it('great-circle distance agrees with known figures', () => {
    // Rotterdam Maasvlakte to Santos: ~9,760 km
    expect(greatCircleKm(51.95, 4.05, -23.98, -46.3)).toBeGreaterThan(9700);
    expect(greatCircleKm(51.95, 4.05, -23.98, -46.3)).toBeLessThan(9800);
    expect(greatCircleKm(0, 179.9, 0, -179.9)).toBeLessThan(25);
  });
});
