import { bestOpening, describeOpening, noOpening } from './door-openings.js';
import { result, type Probe, type ProbeInput } from './probe.js';
import type { PlacedOpening } from './trace.js';

/**
 * DOOR_OPEN_UNAUTHORISED_LOCATION: each opening as the door rules placed it.
 * Placed stationary, or with no fix to place it, fires (1); placed in transit
 * scores how near it came to stationary: movingSpeedKn / speed when it moved,
 * atSeaMinPortDistanceKm / nearest port km when it was at sea (the lower of
 * the two when both); inside a zone, 0.
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
  const moving = p.speedKn !== null && p.speedKn >= cfg.movingSpeedKn ? cfg.movingSpeedKn / p.speedKn : 1;
  const sea = p.atSea ? (p.portKm === null ? 0 : cfg.atSeaMinPortDistanceKm / p.portKm) : 1;
  return Math.min(0.99, moving, sea);
}
