import { isOnLand } from '../../geo/land.js';
import { basisOf, bestOpening, describeOpening, noOpening, type Opening } from './door-openings.js';
import { result, type Probe, type ProbeInput } from './probe.js';

/**
 * DOOR_OPEN_IN_TRANSIT: each opening as the door rules placed it. Placed in
 * transit fires (1). Placed stationary scores how near it came to moving, by
 * what decided it: the speed (speed / movingSpeedKn; between the fixes
 * either side too, when no fix placed it); with no speed and no stop off the
 * sea, the nearest port's distance / atSeaMinPortDistanceKm (off the land
 * only). A fix that is part of a stop is stationary whatever its speed: 0, as
 * inside a zone, unplaced, or still waiting for the next fix (at sea with
 * neither a speed nor a stop, the next fix decides).
 */
export const doorOpenInTransitProbe: Probe = {
  rule: 'DOOR_OPEN_IN_TRANSIT',
  run(input) {
    const best = bestOpening(input, (o) => score(o, input));
    if (!best) return result(this.rule, 0, noOpening(input));
    return result(this.rule, best.score, describeOpening(best.opening, input, best.count), best.opening.ts);
  },
};

function score(o: Opening, input: ProbeInput): number {
  if ('waiting' in o) return 0;
  const p = o.place;
  const cfg = input.rules.doorOpen;
  if (p.kind === 'transit') return 1;
  if (p.kind !== 'stationary') return 0;
  const basis = basisOf(o);
  if (basis === 'stop') return 0;
  if (basis === 'speed' || basis === 'bracket') return Math.min(0.99, (p.speedKn ?? 0) / cfg.movingSpeedKn);
  const sea = p.portKm === null || isOnLand(p.fix.lat, p.fix.lon) ? 0 : p.portKm / cfg.atSeaMinPortDistanceKm;
  return Math.min(0.99, sea);
}
