import { isOnLand } from '../../geo/land.js';
import { kmBetween, knots } from '../../geo/distance.js';
import { activeSteps, dur, hhmm, inWindow, km, kn, pos, when, type ProbeInput } from './probe.js';
import type { PlacedOpening } from './trace.js';

/** An opening in the window: placed by the door rules (the trace ran their placement code), or still waiting for a fix when the input ended. */
export type Opening = PlacedOpening | { ts: number; eventId: string; waiting: true };

/**
 * The door openings whose start lies in the window, scored by `score` and the
 * best one described. Shared by the two door-opening probes.
 */
export function bestOpening(input: ProbeInput, score: (o: Opening) => number): { opening: Opening; score: number; count: number } | null {
  const placed = new Map(input.trace.openings.map((o) => [o.eventId, o]));
  const openings: Opening[] = [];
  for (const s of activeSteps(input.trace)) {
    const r = s.reading;
    if (r.kind !== 'door' || !r.open || !s.doorChanged || !inWindow(r.ts, input)) continue;
    openings.push(placed.get(r.eventId) ?? { ts: r.ts, eventId: r.eventId, waiting: true });
  }
  let best: { opening: Opening; score: number } | null = null;
  for (const o of openings) {
    const s = score(o);
    if (!best || s > best.score) best = { opening: o, score: s };
  }
  return best ? { ...best, count: openings.length } : null;
}

/** Why no opening was placed: no door reading at all, or the door never went from closed to open. */
export function noOpening(input: ProbeInput): string {
  const doors = activeSteps(input.trace).filter((s) => s.reading.kind === 'door' && inWindow(s.reading.ts, input));
  if (doors.length === 0) return 'no door reading in the window';
  return `no door opening in the window (${doors.length} door readings, none a change from closed to open)`;
}

/**
 * What decided between transit and stationary: the placing fix was part of a
 * stop (stationary whatever the speed); its speed; no speed and no stop off
 * the sea (taken to stand); the fixes either side of the opening (bracket).
 */
export type PlaceBasis = 'stop' | 'speed' | 'ashore' | 'bracket';

export function basisOf(o: Opening): PlaceBasis | null {
  if ('waiting' in o) return null;
  const p = o.place;
  if (p.kind !== 'transit' && p.kind !== 'stationary') return null;
  if (o.by === 'bracket') return 'bracket';
  if (o.stop) return 'stop';
  return p.speedKn !== null ? 'speed' : 'ashore';
}

export function describeOpening(o: Opening, input: ProbeInput, count: number): string {
  const cfg = input.rules.doorOpen;
  const of = count > 1 ? ` (best of ${count} openings)` : '';
  if ('waiting' in o) {
    const waited = Math.max(0, input.trace.inputEnd - input.engine.allowedLatenessMs - o.ts);
    return `opened ${when(o.ts)} and not placed when the input ended: at sea with neither a speed nor a stop, it waited for the next fix (none came; the rule gives up after bracketMaxMs ${dur(cfg.bracketMaxMs)}, believed ${dur(waited)} of it)${of}`;
  }
  const p = o.place;
  // it waited for the next fix: the last one was too old, or at sea with neither a speed nor a stop
  const stale = !o.before || Math.abs(o.ts - o.before.ts) > cfg.fixMaxAgeMs;
  const waited = stale ? `no fix within fixMaxAgeMs ${dur(cfg.fixMaxAgeMs)} at the opening${o.before ? ` (the last ${dur(Math.abs(o.ts - o.before.ts))} before it)` : ''}` : 'at sea with neither a speed nor a stop at the opening';
  const how = o.by === 'next-fix' ? `; ${waited}, placed by the next fix at ${hhmm(o.placedAt)}` : '';
  if (p.kind === 'authorised') return `opened ${when(o.ts)} inside ${p.zone}${how}${of}`;
  if (p.kind === 'unknown') {
    const last = p.lastFix ? ` (last fix ${dur(Math.abs(o.ts - p.lastFix.ts))} away)` : '';
    if (o.by === 'timeout') return `opened ${when(o.ts)} with no fix to place it: none within fixMaxAgeMs ${dur(cfg.fixMaxAgeMs)}, none came within bracketMaxMs ${dur(cfg.bracketMaxMs)} after it${last}${of}`;
    return `opened ${when(o.ts)} with no fix to place it: ${bracketText(o)}, neither moving from ${cfg.movingSpeedKn} kn nor within stationary.radiusKm ${input.rules.stationary.radiusKm}${of}`;
  }
  const land = !p.atSea && isOnLand(p.fix.lat, p.fix.lon);
  const sea = p.atSea ? 'at sea' : land ? 'on land' : `not at sea (within ${cfg.atSeaMinPortDistanceKm} km of a port)`;
  const basis = basisOf(o);
  const why =
    basis === 'bracket'
      ? `no fix placed it (fixMaxAgeMs ${dur(cfg.fixMaxAgeMs)}): placed from the fixes either side, ${bracketText(o)} (moving from ${cfg.movingSpeedKn} kn)`
      : basis === 'stop'
        ? `the fix part of a stop since ${when(o.stop!.ts)}: stationary whatever the speed (speed ${kn(p.speedKn)})`
        : basis === 'speed'
          ? `speed ${kn(p.speedKn)} (moving from ${cfg.movingSpeedKn} kn)`
          : 'no speed and not in a stop, not at sea: taken to stand';
  return (
    [
      `opened ${when(o.ts)} at ${pos(p.fix)}, placed ${p.kind}`,
      why + how,
      `${sea}: nearest port ${p.portName ?? '?'} ${p.portKm === null ? '' : km(p.portKm)} (at sea beyond ${cfg.atSeaMinPortDistanceKm} km)`,
      p.zoneName ? `${km(p.zoneKm)} outside ${p.zoneName}` : 'no authorised zone',
    ].join(', ') + of
  );
}

/** The fixes either side of an opening, as bracket() in door-opening.ts sees them. */
function bracketText(o: PlacedOpening): string {
  const after = 'fix' in o.place ? o.place.fix : o.place.kind === 'unknown' ? o.place.lastFix : null;
  if (!o.before || !after) return 'no fix before it';
  const d = kmBetween(o.before, after);
  return `${km(d)} in ${dur(after.ts - o.before.ts)} between the fixes either side (${kn(after.ts > o.before.ts ? knots(d, after.ts - o.before.ts) : null)})`;
}
