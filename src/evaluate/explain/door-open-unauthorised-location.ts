import { basisOf, bestOpening, describeOpening, noOpening, type Opening } from './door-openings.js';
import { result, type Probe, type ProbeInput } from './probe.js';

/**
 * DOOR_OPEN_UNAUTHORISED_LOCATION: each opening as the door rules placed it.
 * Placed stationary (a fix in a stop, a speed under movingSpeedKn, no speed
 * off the sea), or with no fix to place it, fires (1). Placed in transit
 * scores how near it came to stationary: movingSpeedKn / speed (between the
 * fixes either side too, when no fix placed it). Inside a zone, 0. An
 * opening still waiting for its next fix when the input ended (at sea with
 * neither a speed nor a stop) scores the time believed / bracketMaxMs: past
 * it, the rule raises it unplaced.
 */
export const doorOpenUnauthorisedLocationProbe: Probe = {
  rule: 'DOOR_OPEN_UNAUTHORISED_LOCATION',
  run(input) {
    const best = bestOpening(input, (o) => score(o, input));
    if (!best) return result(this.rule, 0, noOpening(input));
    return result(this.rule, best.score, describeOpening(best.opening, input, best.count), best.opening.ts);
  },
};

function score(o: Opening, input: ProbeInput): number {
  const cfg = input.rules.doorOpen;
  if ('waiting' in o) return Math.min(0.99, Math.max(0, input.trace.inputEnd - input.engine.allowedLatenessMs - o.ts) / cfg.bracketMaxMs);
  const p = o.place;
  if (p.kind === 'stationary' || p.kind === 'unknown') return 1;
  if (p.kind === 'authorised') return 0;
  const basis = basisOf(o);
  if (p.speedKn !== null && p.speedKn > 0 && (basis === 'speed' || basis === 'bracket')) return Math.min(0.99, cfg.movingSpeedKn / p.speedKn);
  return 0;
}
