import type { Reading } from '../model/reading.js';
import { isOnLand } from '../geo/land.js';
import { kmBetween, knots } from '../geo/distance.js';
import { speedAtFix } from './motion.js';
import type { Fix, RaisedAlert, RuleContext } from './rule.js';

/**
 * Where a door opening happened, shared by DOOR_OPEN_IN_TRANSIT and
 * DOOR_OPEN_UNAUTHORISED_LOCATION so the two never both claim one opening:
 * inside an authorised zone nothing is raised; moving or at sea is "transit";
 * stationary elsewhere is "unauthorised"; no usable fix is "unknown".
 */
export type DoorPlace =
  | { kind: 'authorised'; zone: string }
  | { kind: 'transit' | 'stationary'; fix: Fix; speedKn: number | null; atSea: boolean; zoneKm: number; zoneName: string | null; portKm: number | null; portName: string | null }
  | { kind: 'unknown'; lastFix: Fix | null };

export interface DoorOpeningState {
  /** An opening waiting for a position fix to place it, with the last fix before it (if any). */
  pending: { ts: number; eventId: string; before: Fix | null } | null;
}

export function classifyPlace(fix: Fix | null, openTs: number, ctx: RuleContext, placing = false): DoorPlace {
  const cfg = ctx.rules.doorOpen;
  if (!fix || Math.abs(openTs - fix.ts) > cfg.fixMaxAgeMs) return { kind: 'unknown', lastFix: fix };
  const zones = ctx.zones(fix);
  if (zones.inside) return { kind: 'authorised', zone: zones.inside.name };
  const speed = fix === ctx.view.fix ? speedAtFix(ctx.view, cfg) : fix.speedKn !== null ? { speedKn: fix.speedKn } : null;
  const nearestPort = ctx.ports.nearest(fix.lat, fix.lon);
  const portKm = nearestPort ? nearestPort.distanceKm : null;
  const atSea = (portKm === null || portKm > cfg.atSeaMinPortDistanceKm) && !isOnLand(fix.lat, fix.lon);
  // Stationary wherever it is, at anchor off a coast too, when the speed says so or the fix is part
  // of a stop; with neither known, a box at sea is taken to be under way, one ashore or in port to stand.
  const stopped = fix === ctx.view.fix && ctx.view.inStop;
  // At sea with neither a speed nor a stop to go by, moving or standing is not known yet: the next fix tells.
  if (speed === null && !stopped && atSea && !placing) return { kind: 'unknown', lastFix: fix };
  const moving = speed !== null ? speed.speedKn >= cfg.movingSpeedKn && !stopped : stopped ? false : atSea;
  return {
    kind: moving ? 'transit' : 'stationary',
    fix,
    speedKn: speed ? speed.speedKn : null,
    atSea,
    zoneKm: zones.nearestKm,
    zoneName: zones.nearest ? zones.nearest.name : null,
    portKm,
    portName: nearestPort ? `${nearestPort.port.name} (${nearestPort.port.locode})` : null,
  };
}

/**
 * Drives one door-opening rule: on each opening, place it (now, or at the
 * next fix when the last one is stale) and let `decide` turn the place into
 * an alert or nothing.
 */
export function trackDoorOpenings(state: DoorOpeningState, r: Reading, ctx: RuleContext, decide: (place: DoorPlace, opening: { ts: number; eventId: string }, evidence: string[]) => RaisedAlert | null): void {
  const cfg = ctx.rules.doorOpen;
  const v = ctx.view;
  if (state.pending) {
    const p = state.pending;
    if (r.kind === 'location') {
      state.pending = null;
      ctx.cancelTimer('fix');
      let place = r.ts - p.ts <= cfg.fixMaxAgeMs ? classifyPlace(v.fix, p.ts, ctx) : bracket(p.before, v.fix!, ctx);
      if (place.kind === 'unknown') place = bracket(p.before, v.fix!, ctx);
      raise(decide(place, p, [p.eventId, r.eventId]), ctx);
    } else if (r.ts - p.ts > cfg.bracketMaxMs) {
      state.pending = null;
      ctx.cancelTimer('fix');
      raise(decide({ kind: 'unknown', lastFix: v.fix }, p, [p.eventId]), ctx);
    }
  }
  if (r.kind !== 'door' || !r.open || !v.doorChanged) return;
  const opening = { ts: r.ts, eventId: r.eventId };
  const place = classifyPlace(v.fix, r.ts, ctx);
  if (place.kind === 'unknown') {
    state.pending = { ...opening, before: v.fix };
    ctx.setTimer(r.ts + cfg.bracketMaxMs, 'fix');
    return;
  }
  raise(decide(place, opening, v.fix ? [r.eventId, v.fix.eventId] : [r.eventId]), ctx);
}

export function onDoorFixTimer(state: DoorOpeningState, ctx: RuleContext, decide: Parameters<typeof trackDoorOpenings>[3]): void {
  const p = state.pending;
  if (!p) return;
  state.pending = null;
  raise(decide({ kind: 'unknown', lastFix: ctx.view.fix }, p, [p.eventId]), ctx);
}

/**
 * Places an opening that no fix close in time can place, from the fixes on
 * either side (sparse trackers fix every hour or two): both inside one
 * authorised zone and no further apart than a stop, it was there; moving
 * faster than the threshold between them, it was in transit; stopped between
 * them outside the zones, it was there; otherwise it stays unknown.
 */
function bracket(before: Fix | null, after: Fix, ctx: RuleContext): DoorPlace {
  const cfg = ctx.rules.doorOpen;
  if (!before) return { kind: 'unknown', lastFix: after };
  const km = kmBetween(before, after);
  const stopped = km <= ctx.rules.stationary.radiusKm;
  const zb = ctx.zones(before);
  const za = ctx.zones(after);
  if (zb.inside && za.inside && zb.inside.name === za.inside.name && stopped) return { kind: 'authorised', zone: za.inside.name };
  const kn = knots(km, after.ts - before.ts);
  if (kn >= cfg.movingSpeedKn || stopped) {
    const place = classifyPlace(after, after.ts, ctx, true);
    if (place.kind === 'transit' || place.kind === 'stationary') return { ...place, kind: kn >= cfg.movingSpeedKn ? 'transit' : 'stationary', speedKn: kn };
    return place;
  }
  return { kind: 'unknown', lastFix: after };
}

function raise(a: RaisedAlert | null, ctx: RuleContext): void {
  if (a) ctx.raise(a);
}

/** The alert of an opening a fix placed: the fields both door rules share. */
export function placedAlert(
  place: Extract<DoorPlace, { kind: 'transit' | 'stationary' }>,
  opening: { ts: number; eventId: string },
  evidence: string[],
  severity: RaisedAlert['severity'],
  summary: string,
  details: NonNullable<RaisedAlert['details']>,
): RaisedAlert {
  return { severity, incidentKey: opening.eventId, startedAt: opening.ts, detectedAt: Math.max(opening.ts, place.fix.ts), location: { lat: place.fix.lat, lon: place.fix.lon }, summary, evidence, details };
}

export function round1(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : x;
}

export function describePlace(p: Extract<DoorPlace, { kind: 'transit' | 'stationary' }>): string {
  const parts: string[] = [];
  parts.push(p.zoneName ? `${fmtKm(p.zoneKm)} from the nearest authorised zone (${p.zoneName})` : 'no authorised zone known');
  if (p.portName && p.portKm !== null) parts.push(`nearest port ${p.portName} ${fmtKm(p.portKm)} away`);
  parts.push(p.speedKn === null ? 'speed unknown' : `speed ${p.speedKn.toFixed(1)} kn`);
  return parts.join(', ');
}

export function fmtKm(km: number): string {
  return km >= 10 ? `${Math.round(km)} km` : `${km.toFixed(1)} km`;
}

export function fmtDuration(ms: number): string {
  const min = Math.round(ms / 60000);
  if (min < 120) return `${min} min`;
  const h = ms / 3_600_000;
  return h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} days`;
}
