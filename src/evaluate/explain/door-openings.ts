import type { Config } from '../../config/schema.js';
import { isOnLand } from '../../geo/land.js';
import { activeSteps, dur, inWindow, km, kn, pos, when, type ProbeInput } from './probe.js';
import type { PlacedOpening } from './trace.js';

/**
 * The door openings whose start lies in the window, as the door rules placed
 * them (the trace ran their placement code), scored by `score` and the best
 * one described. Shared by the two door-opening probes.
 */
export function bestOpening(input: ProbeInput, score: (o: PlacedOpening) => number): { opening: PlacedOpening; score: number; count: number } | null {
  const openings = input.trace.openings.filter((o) => inWindow(o.ts, input));
  let best: { opening: PlacedOpening; score: number } | null = null;
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

/** How the door rules decided between transit and stationary (classifyPlace, or the fixes either side of an opening no fix placed). */
export type PlaceBasis = 'stop' | 'speed' | 'sea' | 'bracket';

export function basisOf(o: PlacedOpening, cfg: Config['rules']['doorOpen']): PlaceBasis | null {
  const p = o.place;
  if (p.kind !== 'transit' && p.kind !== 'stationary') return null;
  // placed by a fix further from the opening than fixMaxAgeMs: from the fixes on either side
  if (Math.abs(o.ts - p.fix.ts) > cfg.fixMaxAgeMs) return 'bracket';
  if (o.stop) return 'stop';
  return p.speedKn !== null ? 'speed' : 'sea';
}

export function describeOpening(o: PlacedOpening, cfg: Config['rules']['doorOpen'], count: number): string {
  const p = o.place;
  const of = count > 1 ? ` (best of ${count} openings)` : '';
  if (p.kind === 'authorised') return `opened ${when(o.ts)} inside ${p.zone}${of}`;
  if (p.kind === 'unknown') return `opened ${when(o.ts)} with no fix to place it${p.lastFix ? ` (last fix ${dur(Math.abs(o.ts - p.lastFix.ts))} away, fixMaxAgeMs ${dur(cfg.fixMaxAgeMs)})` : ''}${of}`;
  const land = !p.atSea && isOnLand(p.fix.lat, p.fix.lon);
  const sea = p.atSea ? 'at sea' : land ? 'on land' : `not at sea (within ${cfg.atSeaMinPortDistanceKm} km of a port)`;
  const basis = basisOf(o, cfg);
  const why =
    basis === 'bracket'
      ? `no fix within fixMaxAgeMs ${dur(cfg.fixMaxAgeMs)}: placed from the fixes either side, ${kn(p.speedKn)} between them (moving from ${cfg.movingSpeedKn} kn)`
      : basis === 'stop'
        ? `the fix part of a stop since ${when(o.stop!.ts)}: stationary whatever the speed (speed ${kn(p.speedKn)})`
        : basis === 'speed'
          ? `speed ${kn(p.speedKn)} (moving from ${cfg.movingSpeedKn} kn)`
          : `no speed and not in a stop: ${p.atSea ? 'at sea, taken to be under way' : 'not at sea, taken to stand'}`;
  return [
    `opened ${when(o.ts)} at ${pos(p.fix)}, placed ${p.kind}`,
    why,
    `${sea}: nearest port ${p.portName ?? '?'} ${p.portKm === null ? '' : km(p.portKm)} (at sea beyond ${cfg.atSeaMinPortDistanceKm} km)`,
    p.zoneName ? `${km(p.zoneKm)} outside ${p.zoneName}` : 'no authorised zone',
  ].join(', ') + of;
}
