import { describe, expect, it } from 'vitest';
import { isOnLand } from '../../src/geo/land.js';

describe('land or sea (Natural Earth 1:50m)', () => {
  it('places known points', () => {
    for (const [lat, lon] of [
      [48.85, 2.35],
      [51.5, -0.1],
      [-17.7, 178.1],
      [65, 177],
      [65, -175],
      [-75, 0],
      [-23.55, -46.63],
    ])
      expect(isOnLand(lat, lon), `${lat},${lon}`).toBe(true);
    for (const [lat, lon] of [
      [45.5, -8],
      [36.5, -12],
      [0, -30],
      [35, 150],
      [-40, 100],
    ])
      expect(isOnLand(lat, lon), `${lat},${lon}`).toBe(false);
  });
  it('rings cut at the antimeridian do not wrap round the globe (Fiji at 16.5°S, Chukotka)', () => {
    for (const lon of [-150, -120, -30, 0, 60, 100, 179.99]) expect(isOnLand(-16.51, lon), `-16.51,${lon}`).toBe(false);
    for (const lon of [-165, 0, 30]) expect(isOnLand(71.2, lon), `71.2,${lon}`).toBe(false);
  });
});
