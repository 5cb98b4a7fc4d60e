import type { Port } from '../src/geo/ports.js';
import { isOnLand } from '../src/geo/land.js';
import { alongPath, cumulativeKm, destination, haversineKm, interpolate, kmFromPolyline, type LonLat } from '../src/geo/distance.js';
import type { Rng } from './rng.js';
import { dropZeroLengthSteps, type RouteLegs } from '../src/geo/sea-route.js';
import type { EdgeKind } from '../src/geo/sea-lanes.js';
import type { Sailing, StopSpec, StopWander } from './voyage.js';

/**
 * Voyages that leave their plan, as ship paths and stops: a deviation far
 * off the planned route (to meet another vessel or to make for an unplanned
 * coast), and the field's normal ones: a detour of a few tens of km round
 * weather or traffic, a short wait at sea with the engine stopped. (Stops
 * that are breaches: scenarios/stop-at-sea.ts; anchorage waits: anchorages.ts.)
 */

const H = 3_600_000;
const MIN = 60_000;
const TIDE_MS = 12.42 * H; // the principal lunar semi-diurnal tide

/**
 * Canal and strait waiting areas, where ships of every trade wait their turn
 * for hours (approximate centres of the anchorages). A stop there is not
 * suspicious; the UNSCHEDULED_STOP scenario keeps well away from them.
 */
export const WAITING_AREAS: ReadonlyArray<{ name: string; at: LonLat; radiusKm: number }> = [
  { name: 'Port Said anchorage', at: [32.35, 31.35], radiusKm: 40 },
  { name: 'Suez Bay anchorage', at: [32.55, 29.85], radiusKm: 40 },
  { name: 'Great Bitter Lake', at: [32.4, 30.35], radiusKm: 20 },
  { name: 'Balboa anchorage (Panama Pacific)', at: [-79.5, 8.85], radiusKm: 40 },
  { name: 'Limon Bay anchorage (Panama Atlantic)', at: [-79.9, 9.4], radiusKm: 40 },
  { name: 'Gatun Lake', at: [-79.85, 9.2], radiusKm: 20 },
  { name: 'Singapore Strait anchorages', at: [103.9, 1.25], radiusKm: 50 },
  { name: 'Bosphorus approaches', at: [29.0, 41.05], radiusKm: 40 },
  { name: 'Dardanelles approaches', at: [26.2, 40.0], radiusKm: 40 },
];

/** Whether the great circle a -> b stays over water (Natural Earth 1:50m), sampled every `stepKm`. */
export function overWater(a: LonLat, b: LonLat, stepKm = 5): boolean {
  const km = haversineKm(a, b);
  const n = Math.max(1, Math.ceil(km / stepKm));
  for (let i = 0; i <= n; i++) {
    const p = interpolate(a, b, i / n);
    if (isOnLand(p[1], p[0])) return false;
  }
  return true;
}

/** How a stopped ship moves round its stop point (see StopWander). */
export function drawWander(r: Rng, anchored: boolean): StopWander {
  if (anchored) {
    // swinging round the anchor with the tide (chain plus ship length: 100-350 m), and sheering at anchor
    const radius = r.uniform(0.1, 0.35);
    const bearing = r.uniform(0, 360);
    const phase = r.uniform(0, 2 * Math.PI);
    return {
      terms: [
        { ampKm: radius, periodMs: TIDE_MS, phase, bearingDeg: bearing },
        { ampKm: radius, periodMs: TIDE_MS, phase: phase + Math.PI / 2, bearingDeg: bearing + 90 },
        { ampKm: r.uniform(0.015, 0.04), periodMs: r.uniform(12, 25) * MIN, phase: r.uniform(0, 2 * Math.PI), bearingDeg: bearing + r.uniform(60, 120) },
      ],
    };
  }
  // holding position in water too deep to anchor: set by wind and current, brought back by the engine now and then
  return { terms: [0, 1, 2, 3].map(() => ({ ampKm: r.uniform(0.06, 0.15), periodMs: r.uniform(2.5, 7) * H, phase: r.uniform(0, 2 * Math.PI), bearingDeg: r.uniform(0, 360) })) };
}

export function kindAt(leg: RouteLegs, cum: readonly number[], km: number): EdgeKind {
  let i = 0;
  while (i < leg.kind.length - 1 && cum[i + 1]! <= km) i++;
  return leg.kind[i]!;
}

export function allSea(leg: RouteLegs, cum: readonly number[], kmA: number, kmB: number): boolean {
  for (let i = 0; i < leg.kind.length; i++) if (cum[i + 1]! > kmA && cum[i]! < kmB && leg.kind[i] !== 'sea') return false;
  return true;
}

/** The path with `via` inserted between `kmA` and `kmB` along it (open-sea segments). */
export function splice(leg: RouteLegs, cum: readonly number[], kmA: number, kmB: number, via: LonLat[]): { path: LonLat[]; kind: EdgeKind[] } {
  const a = alongPath(leg.path, cum, kmA);
  const b = alongPath(leg.path, cum, kmB);
  const path: LonLat[] = [...leg.path.slice(0, a.segment + 1), a.point, ...via, b.point, ...leg.path.slice(b.segment + 1)];
  const kind: EdgeKind[] = [...leg.kind.slice(0, a.segment), leg.kind[a.segment]!, ...via.map(() => 'sea' as EdgeKind), 'sea', leg.kind[b.segment]!, ...leg.kind.slice(b.segment + 1)];
  return dropZeroLengthSteps(path, kind);
}

export interface Deviation {
  path: LonLat[];
  kind: EdgeKind[];
  /** How far the turning point lies from the planned route, km. */
  offKm: number;
  /** Where the ship leaves and rejoins the planned route, km along the new path. */
  leaveKm: number;
  rejoinKm: number;
  /** A rendezvous: the ship holds position at the turning point for a while. */
  rendezvous: StopSpec | null;
}

/**
 * A deviation: between `from` and `to` (times on the plain sailing) the ship
 * turns off the route at 45-70 degrees, makes for a point 150-320 km off the
 * planned route, in open water (to meet another vessel there, holding
 * position for half an hour to 2.5 h, or to run towards a coast the plan
 * does not go near), and comes back to the route at the same angle.
 */
export function planDeviation(r: Rng, planned: readonly LonLat[], leg: RouteLegs, plain: Sailing, from: number, to: number, plannedPorts: readonly Port[]): Deviation | null {
  const cum = cumulativeKm(leg.path);
  const total = cum[cum.length - 1]!;
  const kmFrom = plain.at(from).km;
  const kmTo = plain.at(to).km;
  if (!(kmTo > kmFrom)) return null;
  const farFromPorts = (p: LonLat): boolean => plannedPorts.every((q) => haversineKm(p, [q.lon, q.lat]) > 80);
  for (let tries = 0; tries < 40; tries++) {
    const offKm = r.uniform(150, 320);
    const angle = r.uniform(45, 70);
    const half = offKm / Math.tan((angle * Math.PI) / 180);
    const kmA = r.uniform(kmFrom, kmTo);
    const kmB = kmA + 2 * half;
    if (kmB > total - 60) continue;
    if (!allSea(leg, cum, kmA, kmB)) continue;
    const a = alongPath(leg.path, cum, kmA).point;
    const b = alongPath(leg.path, cum, kmB).point;
    if (!farFromPorts(a) || !farFromPorts(b)) continue;
    // the turning point: abreast of the middle of the skipped stretch, offKm to one side of the local course
    const mid = alongPath(leg.path, cum, kmA + half);
    const side = r.chance(0.5) ? 90 : -90;
    const apex = destination(mid.point, (mid.heading + side + 360) % 360, offKm);
    if (Math.abs(apex[1]) > 70) continue;
    // the route may bend back towards the point: it must really be far off the planned route
    if (kmFromPolyline(apex, planned) < 0.9 * offKm) continue;
    if (!overWater(a, apex) || !overWater(apex, b)) continue;
    const d = splice(leg, cum, kmA, kmB, [apex]);
    const cum2 = cumulativeKm(d.path);
    const ai = d.path.findIndex((p) => p[0] === apex[0] && p[1] === apex[1]);
    if (ai < 0) continue;
    const leaveKm = cum2[d.path.findIndex((p) => p[0] === a[0] && p[1] === a[1])] ?? kmA;
    const rejoinKm = cum2[d.path.findIndex((p) => p[0] === b[0] && p[1] === b[1])] ?? cum2[ai]! + (cum2[ai]! - leaveKm);
    const rendezvous: StopSpec | null = r.chance(0.5) ? { atKm: cum2[ai]!, dwellMs: r.uniform(0.5, 2.5) * H, profile: 'sea', decelKmH2: r.uniform(50, 90), wander: drawWander(r, false), tag: 'rendezvous' } : null;
    return { ...d, offKm, leaveKm, rejoinKm, rendezvous };
  }
  return null;
}

/**
 * A weather or traffic detour: the master keeps 15-30 km to one side of the
 * planned track for 3-10 h of steaming (round a weather system, a traffic
 * separation scheme, a fishing fleet), leaving and rejoining it at about 30
 * degrees. Open sea only, away from the first 80 and the last 300 km of the
 * leg (the approaches, and any anchorage wait there).
 */
export function planWeatherDetour(r: Rng, leg: RouteLegs): { path: LonLat[]; kind: EdgeKind[] } | null {
  const cum = cumulativeKm(leg.path);
  const total = cum[cum.length - 1]!;
  for (let tries = 0; tries < 30; tries++) {
    const offKm = r.uniform(15, 30);
    const lenKm = r.uniform(3, 10) * 16 * 1.852;
    const ramp = offKm / Math.tan(Math.PI / 6);
    const room = total - 300 - lenKm - 2 * ramp;
    if (room < 80) return null;
    const kmA = r.uniform(80, room);
    const kmB = kmA + 2 * ramp + lenKm;
    if (!allSea(leg, cum, kmA, kmB)) continue;
    const side = r.chance(0.5) ? 90 : -90;
    const via: LonLat[] = [];
    const n = Math.max(1, Math.ceil(lenKm / 25));
    for (let i = 0; i <= n; i++) {
      const at = alongPath(leg.path, cum, kmA + ramp + (lenKm * i) / n);
      via.push(destination(at.point, (at.heading + side + 360) % 360, offKm));
    }
    // on the inside of a bend the offset track folds back on itself, on the outside it strays: both are another story
    if (via.some((p) => isOnLand(p[1], p[0]) || kmFromPolyline(p, leg.path) < 0.7 * offKm || kmFromPolyline(p, leg.path) > 34)) continue;
    const a = alongPath(leg.path, cum, kmA).point;
    const b = alongPath(leg.path, cum, kmB).point;
    const chain = [a, ...via, b];
    let wet = true;
    for (let i = 1; i < chain.length && wet; i++) wet = overWater(chain[i - 1]!, chain[i]!);
    if (!wet) continue;
    return splice(leg, cum, kmA, kmB, via);
  }
  return null;
}

/**
 * A wait at sea with the engine stopped, 30-70 min (waiting for a pilot
 * window or the tide, a repair in the engine room, slowing for an arrival
 * slot): on an open-sea stretch at least 30 km from either end of the leg
 * and 20 km from any other stop; the ship drifts a few hundred metres with
 * wind and current.
 */
export function seaWait(r: Rng, leg: RouteLegs, others: readonly StopSpec[]): StopSpec | null {
  const cum = cumulativeKm(leg.path);
  const total = cum[cum.length - 1]!;
  if (total < 100) return null;
  for (let tries = 0; tries < 20; tries++) {
    const km = r.uniform(30, total - 30);
    if (kindAt(leg, cum, km) !== 'sea' || others.some((o) => Math.abs(o.atKm - km) < 20)) continue;
    const p = alongPath(leg.path, cum, km).point;
    if (isOnLand(p[1], p[0])) continue;
    const dwellMs = r.uniform(30, 70) * MIN;
    // a drift one way (a quarter period of a slow term reads as a straight line) and a little swell
    const wander: StopWander = {
      terms: [
        { ampKm: r.uniform(0.2, 0.6), periodMs: 4 * dwellMs, phase: 0, bearingDeg: r.uniform(0, 360) },
        { ampKm: r.uniform(0.01, 0.03), periodMs: r.uniform(8, 15) * MIN, phase: r.uniform(0, 2 * Math.PI), bearingDeg: r.uniform(0, 360) },
      ],
    };
    return { atKm: km, dwellMs, profile: 'sea', decelKmH2: r.uniform(40, 80), wander, tag: 'drift' };
  }
  return null;
}

/** Distance (km) from a point to a planned route, to a few metres: the route sampled every 1 km, great-circle distances. */
export class RouteDistance {
  private readonly pts: LonLat[] = [];
  constructor(route: readonly LonLat[]) {
    for (let i = 0; i + 1 < route.length; i++) {
      const a = route[i]!;
      const b = route[i + 1]!;
      const n = Math.max(1, Math.ceil(haversineKm(a, b)));
      for (let k = 0; k < n; k++) this.pts.push(interpolate(a, b, k / n));
    }
    if (route.length) this.pts.push(route[route.length - 1]!);
  }

  km(p: LonLat): number {
    let best = Infinity;
    for (const q of this.pts) {
      // cheap reject before the great circle: a degree of latitude is 111 km
      if (Math.abs(q[1] - p[1]) * 111 > best) continue;
      const d = haversineKm(p, q);
      if (d < best) best = d;
    }
    return best;
  }
}
