import { basisOf, bestOpening, describeOpening, noOpening } from './door-openings.js';
import { result, type Probe, type ProbeInput } from './probe.js';
import type { PlacedOpening } from './trace.js';

/**
 * DOOR_OPEN_UNAUTHORISED_LOCATION: each opening as the door rules placed it.
 * Placed stationary (a fix in a stop, a speed under movingSpeedKn, no speed
 * off the sea), or with no fix to place it, fires (1). Placed in transit
 * scores how near it came to stationary, by what decided it: movingSpeedKn /
 * speed (also between the fixes either side when no fix was near); with no
 * speed and no stop, at sea: atSeaMinPortDistanceKm / nearest port km.
 * Inside a zone, 0.
 */
export const doorOpenUnauthorisedLocationProbe: Probe = {
  rule: 'DOOR_OPEN_UNAUTHORISED_LOCATION',
  run(input) {
    const best = bestOpening(input, (o) => score(o, input));
    if (!best) return result(this.rule, 0, noOpening(input));
    return result(this.rule, best.score, describeOpening(best.opening, input.rules.doorOpen, best.count), best.opening.ts);
  },
};

function score(o: PlacedOpening, input: ProbeInput): number {
  const p = o.place;
  const cfg = input.rules.doorOpen;
  if (p.kind === 'stationary' || p.kind === 'unknown') return 1;
  if (p.kind === 'authorised') return 0;
  const basis = basisOf(o, cfg);
  if (p.speedKn !== null && p.speedKn >= cfg.movingSpeedKn && (basis === 'speed' || basis === 'bracket')) return Math.min(0.99, cfg.movingSpeedKn / p.speedKn);
  return Math.min(0.99, p.atSea && p.portKm !== null ? cfg.atSeaMinPortDistanceKm / p.portKm : 0);
}
