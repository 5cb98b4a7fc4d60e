import { isOnLand } from '../../rules/land.js';
import { bestOpening, describeOpening, noOpening } from './door-openings.js';
import { result, type Probe, type ProbeInput } from './probe.js';
import type { PlacedOpening } from './trace.js';

/**
 * DOOR_OPEN_IN_TRANSIT: each opening as the door rules placed it. Placed in
 * transit fires (1); placed stationary scores how near it came to counting as
 * moving (speed / movingSpeedKn) or at sea (nearest port km /
 * atSeaMinPortDistanceKm, off the land only); inside a zone or unplaced, 0.
 */
export const doorOpenInTransitProbe: Probe = {
  rule: 'DOOR_OPEN_IN_TRANSIT',
  run(input) {
    const best = bestOpening(input, (o) => score(o, input));
    if (!best) return result(this.rule, 0, noOpening(input));
    return result(this.rule, best.score, describeOpening(best.opening, input.rules.doorOpen, best.count), best.opening.ts);
  },
};

function score(o: PlacedOpening, input: ProbeInput): number {
  const p = o.place;
  const cfg = input.rules.doorOpen;
  if (p.kind === 'transit') return 1;
  if (p.kind !== 'stationary') return 0;
  const moving = p.speedKn === null ? 0 : p.speedKn / cfg.movingSpeedKn;
  const sea = p.portKm === null || isOnLand(p.fix.lat, p.fix.lon) ? 0 : p.portKm / cfg.atSeaMinPortDistanceKm;
  return Math.min(0.99, Math.max(moving, sea));
}
