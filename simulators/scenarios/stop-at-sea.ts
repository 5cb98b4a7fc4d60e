import type { Port } from '../../src/geo/ports.js';
import { isOnLand } from '../../src/geo/land.js';
import { CHARTED_ANCHORAGES } from '../anchorages.js';
import { drawWander, kindAt, WAITING_AREAS } from '../detours.js';
import { alongPath, cumulativeKm, haversineKm, type LonLat } from '../../src/geo/distance.js';
import type { Rng } from '../rng.js';
import type { RouteLegs } from '../../src/geo/sea-route.js';
import type { Sailing, StopSpec } from '../voyage.js';
import { H, type SailContext, type SailChange } from './scenario.js';

/**
 * The stops that are breaches, shared by UNSCHEDULED_STOP and
 * DOOR_OPEN_UNAUTHORISED_LOCATION (a door opened while stopped there):
 *
 * - at sea or off a coast (waiting for orders, a breakdown, meeting a boat):
 *   4.5-12 h on an open-sea stretch more than 60 km from every planned port;
 *   within 150 km of a port the ship is on the continental shelf and
 *   anchors, farther out it holds position;
 * - at an unofficial anchorage 25-70 km off a planned port, 8-15 h: close
 *   enough to look like waiting for a berth, but not where ships wait
 *   (anchorages.ts: 5-20 km off, or a charted area), anchored.
 *
 * Either is clear of the canal and strait waiting areas and the charted
 * anchorages, and more than 20 km from any port of the table.
 */
export interface StopAtSea {
  stop: StopSpec;
  point: LonLat;
  anchored: boolean;
  offPort: boolean;
}

function clearOfWaitingAreas(p: LonLat, marginKm: number): boolean {
  return WAITING_AREAS.every((w) => haversineKm(p, w.at) > w.radiusKm + marginKm) && CHARTED_ANCHORAGES.every((a) => haversineKm(p, a.at) > a.radiusKm + Math.min(marginKm, 15));
}

function nearestKm(p: LonLat, ports: readonly Port[]): number {
  let best = Infinity;
  for (const q of ports) best = Math.min(best, haversineKm(p, [q.lon, q.lat]));
  return best;
}

export function planSeaStop(r: Rng, leg: RouteLegs, plain: Sailing, from: number, to: number, plannedPorts: readonly Port[], ports: readonly Port[], dwellH: readonly [number, number] = [4.5, 12]): StopAtSea | null {
  const cum = cumulativeKm(leg.path);
  if (!(to > from)) return null;
  for (let tries = 0; tries < 60; tries++) {
    const km = plain.at(r.uniform(from, to)).km;
    if (kindAt(leg, cum, km) !== 'sea' || km < 30 || km > cum[cum.length - 1]! - 30) continue;
    const point = alongPath(leg.path, cum, km).point;
    if (nearestKm(point, plannedPorts) <= 60) continue;
    if (!clearOfWaitingAreas(point, 60)) continue;
    if (isOnLand(point[1], point[0])) continue;
    const anchored = nearestKm(point, ports) < 150;
    const stop: StopSpec = { atKm: km, dwellMs: r.uniform(dwellH[0], dwellH[1]) * H, profile: 'sea', decelKmH2: r.uniform(50, 90), wander: drawWander(r, anchored), tag: 'unscheduled' };
    return { stop, point, anchored, offPort: false };
  }
  return null;
}

export function planOffPortStop(r: Rng, leg: RouteLegs, plain: Sailing, from: number, to: number, plannedPorts: readonly Port[], ports: readonly Port[], dwellH: readonly [number, number] = [8, 15]): StopAtSea | null {
  const cum = cumulativeKm(leg.path);
  const total = cum[cum.length - 1]!;
  const candidates: Array<{ km: number; point: LonLat }> = [];
  for (let km = 20; km < total - 20; km += 2) {
    const point = alongPath(leg.path, cum, km).point;
    const off = nearestKm(point, plannedPorts);
    if (off < 25 || off > 70) continue;
    const t = plain.timeAtKm(km);
    if (t < from || t > to) continue;
    if (kindAt(leg, cum, km) !== 'sea' || isOnLand(point[1], point[0])) continue;
    if (!clearOfWaitingAreas(point, 10) || nearestKm(point, ports) < 20) continue;
    candidates.push({ km, point });
  }
  if (candidates.length === 0) return null;
  const c = r.pick(candidates);
  const stop: StopSpec = { atKm: c.km, dwellMs: r.uniform(dwellH[0], dwellH[1]) * H, profile: 'sea', decelKmH2: r.uniform(50, 90), wander: drawWander(r, true), tag: 'unscheduled' };
  return { stop, point: c.point, anchored: true, offPort: true };
}

/** A stop of either kind on the first ship's passage (the other kind when the first does not fit). */
export function sailToStop(r: Rng, ctx: SailContext, offPortFirst: boolean, dwell: { sea: readonly [number, number]; offPort: readonly [number, number] }): SailChange | null {
  const planned = ctx.planned;
  // an off-port stop may come late in the passage (off the port of arrival), up to an hour before the ship would berth
  const offTo = ctx.demo ? ctx.to : Math.min(ctx.plain.arrival - H, ctx.capEnd - 20 * H);
  const tryOff = (): StopAtSea | null => planOffPortStop(r, ctx.leg1, ctx.plain, ctx.from, offTo, planned, ctx.ports.ports, dwell.offPort);
  const trySea = (): StopAtSea | null => planSeaStop(r, ctx.leg1, ctx.plain, ctx.from, ctx.to, planned, ctx.ports.ports, dwell.sea);
  const st = offPortFirst ? (tryOff() ?? trySea()) : (trySea() ?? tryOff());
  if (!st) return null;
  return { stops: [st.stop], special: { kind: 'seaStop', point: st.point, anchored: st.anchored, offPort: st.offPort } };
}
