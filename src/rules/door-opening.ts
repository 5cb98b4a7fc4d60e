import type { Reading } from '../model/reading.js';
import { isOnLand } from './land.js';
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
  /** An opening waiting for a position fix close enough in time to place it. */
  pending: { ts: number; eventId: string } | null;
}

export function classifyPlace(fix: Fix | null, openTs: number, ctx: RuleContext): DoorPlace {
  const cfg = ctx.rules.doorOpen;
  if (!fix || Math.abs(openTs - fix.ts) > cfg.fixMaxAgeMs) return { kind: 'unknown', lastFix: fix };
  const zones = ctx.zones(fix);
  if (zones.inside) return { kind: 'authorised', zone: zones.inside.name };
  const speed = fix === ctx.view.fix ? speedAtFix(ctx.view, cfg) : fix.speedKn !== null ? { speedKn: fix.speedKn } : null;
  const nearestPort = ctx.ports.nearest(fix.lat, fix.lon);
  const portKm = nearestPort ? nearestPort.distanceKm : null;
  const atSea = (portKm === null || portKm > cfg.atSeaMinPortDistanceKm) && !isOnLand(fix.lat, fix.lon);
  const moving = speed !== null && speed.speedKn >= cfg.movingSpeedKn;
  return {
    kind: moving || atSea ? 'transit' : 'stationary',
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
export function trackDoorOpenings(
  state: DoorOpeningState,
  r: Reading,
  ctx: RuleContext,
  decide: (place: DoorPlace, opening: { ts: number; eventId: string }, evidence: string[]) => RaisedAlert | null,
): void {
  const cfg = ctx.rules.doorOpen;
  const v = ctx.view;
  if (state.pending) {
    const p = state.pending;
    if (r.kind === 'location' && r.ts - p.ts <= cfg.fixMaxAgeMs) {
      state.pending = null;
      ctx.cancelTimer('fix');
      raise(decide(classifyPlace(v.fix, p.ts, ctx), p, [p.eventId, r.eventId]), ctx);
    } else if (r.ts - p.ts > cfg.fixMaxAgeMs) {
      state.pending = null;
      ctx.cancelTimer('fix');
      raise(decide({ kind: 'unknown', lastFix: v.fix }, p, [p.eventId]), ctx);
    }
  }
  if (r.kind !== 'door' || !r.open || !v.doorChanged) return;
  const opening = { ts: r.ts, eventId: r.eventId };
  const place = classifyPlace(v.fix, r.ts, ctx);
  if (place.kind === 'unknown') {
    state.pending = opening;
    ctx.setTimer(r.ts + cfg.fixMaxAgeMs, 'fix');
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

function raise(a: RaisedAlert | null, ctx: RuleContext): void {
  if (a) ctx.raise(a);
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
