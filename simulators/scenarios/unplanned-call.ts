import type { Port, PortTable } from '../../src/geo/ports.js';
import type { Breach } from '../container.js';
import { alongPath, cumulativeKm, haversineKm, kmFromPolyline, type LonLat } from '../../src/geo/distance.js';
import { nearestPortKm, type Itinerary } from '../itinerary.js';
import type { Rng } from '../rng.js';
import { dropZeroLengthSteps, routeLegs, type RouteLegs } from '../../src/geo/sea-route.js';
import type { EdgeKind } from '../../src/geo/sea-lanes.js';
import type { Sailing } from '../voyage.js';
import { H, MIN, type PlaceContext, type SailChange, type SailContext } from './scenario.js';

/**
 * The unplanned call both door scenarios share: berthed at a port the plan
 * does not name (made in fleet.ts's makeSailings); the door opens once the
 * box can be reached, 20-60 min after the ship is alongside. A rip-on/rip-off
 * is a bag put in or taken out (10-90 min); the other is part of the cargo
 * unloaded by hand (3.5-6 h).
 */
export function sailToCall(r: Rng, { it, leg1, plain, from, to, ports }: SailContext, kind: 'DOOR_OPEN_UNAUTHORISED_LOCATION' | 'RIP_ON_RIP_OFF'): SailChange | null {
  const d = planDetour(r, it, leg1, plain, from, to, ports);
  if (!d) return null;
  // even a short call takes hours: pilot, tugs, mooring, a few crane moves, unmooring
  const dwellMs = (kind === 'RIP_ON_RIP_OFF' ? r.uniform(4.5, 8) : r.uniform(5.5, 10)) * H;
  return { path: d.path, kind: d.kind, stops: [{ atKm: d.stopKm, dwellMs, profile: 'berth', tag: 'call' }], special: { kind: 'call', port: d.port } };
}

export function placeCallOpening(r: Rng, kind: 'DOOR_OPEN_UNAUTHORISED_LOCATION' | 'RIP_ON_RIP_OFF', { sailings, special, m, lo, hi, demo }: PlaceContext): Breach | null {
  const stop = sailings[0]!.stopWindows.find((w) => w.tag === 'call');
  if (!stop || special?.kind !== 'call') return null;
  const openAt = Math.round(stop.from + r.uniform(20, 60) * MIN);
  const room = stop.to - 20 * MIN - openAt;
  const open = kind === 'RIP_ON_RIP_OFF' ? r.uniform(10, 90) * MIN : r.uniform(3.5 * H, Math.max(3.5 * H, Math.min(6 * H, room)));
  const closeAt = Math.round(openAt + open);
  if (closeAt > stop.to - 20 * MIN) return null;
  if (stop.from < lo - 0.5 * H || stop.to > m.last - 0.5 * H || (demo && openAt > hi)) return null;
  return { kind, from: openAt, to: closeAt, port: special.port, stoppedAt: Math.round(stop.from), leftAt: Math.round(stop.to) };
}

/** An unplanned call of hours is also an unscheduled stop, from berthed to leaving. */
export function callStopLabel(b: Breach): Array<{ rule: 'UNSCHEDULED_STOP'; from: number; to: number }> {
  return b.kind === 'DOOR_OPEN_UNAUTHORISED_LOCATION' || b.kind === 'RIP_ON_RIP_OFF' ? [{ rule: 'UNSCHEDULED_STOP', from: b.stoppedAt, to: b.leftAt }] : [];
}

/**
 * An unplanned call: a port of the table near the route, more than 60 km
 * from every port of the plan (so more than 45 km outside every 15 km
 * authorised zone), reached between `from` and `to`. The ship leaves the
 * route, sails to the port's quay, stops, and comes back to the route.
 */
function planDetour(r: Rng, it: Itinerary, leg: RouteLegs, plain: Sailing, from: number, to: number, ports: PortTable): { port: Port; path: LonLat[]; kind: EdgeKind[]; stopKm: number } | null {
  const planned = [it.origin, it.destination, ...(it.hub ? [it.hub] : [])];
  const kmFrom = plain.at(from).km;
  const kmTo = plain.at(to).km;
  if (!(kmTo - kmFrom > 20)) return null;
  const cum = cumulativeKm(leg.path);
  const candidates: Array<{ km: number; port: Port; dist: number }> = [];
  const far = ports.ports.filter((p) => planned.every((q) => haversineKm([p.lon, p.lat], [q.lon, q.lat]) > 60));
  for (let km = kmFrom; km <= kmTo; km += 15) {
    const a = alongPath(leg.path, cum, km).point;
    const near = nearestPortKm(far, a);
    if (near.km <= 70 && near.km >= 2) candidates.push({ km, port: near.port, dist: near.km });
  }
  if (candidates.length === 0) return null;
  // prefer short detours, but not always the very shortest
  candidates.sort((x, y) => x.dist - y.dist);
  for (let tries = 0; tries < 6 && candidates.length > 0; tries++) {
    const at = Math.min(candidates.length - 1, Math.floor(r.next() ** 2 * Math.min(candidates.length, 12)));
    const pick = candidates.splice(at, 1)[0]!;
    const d = detourPath(leg, cum, pick.km, pick.port);
    if (d) return { port: pick.port, ...d };
  }
  return null;
}

/** The route with a call at `port` inserted `km` along it; null when the detour strays more than 85 km from the planned route. */
function detourPath(leg: RouteLegs, cum: number[], km: number, port: Port): { path: LonLat[]; kind: EdgeKind[]; stopKm: number } | null {
  const seg = Math.max(0, cum.findIndex((c) => c > km) - 1);
  // a ship in a canal or on a river cannot turn off it for a call: only open-sea points branch
  if (leg.kind[seg] !== 'sea') return null;
  const a = alongPath(leg.path, cum, km).point;
  const out = routeLegs({ lat: a[1], lon: a[0] }, port);
  const back = routeLegs(port, { lat: a[1], lon: a[0] });
  // off the planned route, but not so far that it reads as a route deviation rather than a port call
  if (out.path.some((p) => kmFromPolyline(p, leg.path) > 85) || back.path.some((p) => kmFromPolyline(p, leg.path) > 85)) return null;
  const path: LonLat[] = [...leg.path.slice(0, seg + 1), a, ...out.path.slice(1), ...back.path.slice(1), ...leg.path.slice(seg + 1)];
  const kind: EdgeKind[] = [...leg.kind.slice(0, seg), leg.kind[seg]!, ...out.kind, ...back.kind, leg.kind[seg]!, ...leg.kind.slice(seg + 1)];
  const { path: p2, kind: k2 } = dropZeroLengthSteps(path, kind);
  const cum2 = cumulativeKm(p2);
  const qi = p2.findIndex((p) => p[0] === port.lon && p[1] === port.lat);
  if (qi < 0) return null;
  return { path: p2, kind: k2, stopKm: cum2[qi]! };
}
