import type { Port } from '../src/geo/ports.js';
import { isOnLand } from '../src/geo/land.js';
import { allSea, drawWander, kindAt, overWater, splice } from './detours.js';
import { alongPath, cumulativeKm, haversineKm, type LonLat } from '../src/geo/distance.js';
import type { Rng } from './rng.js';
import type { RouteLegs } from '../src/geo/sea-route.js';
import type { EdgeKind } from '../src/geo/sea-lanes.js';
import type { StopSpec } from './voyage.js';

/**
 * Where ships bound for a port wait for their berth. Most ports have their
 * anchorage close to the harbour, 5-20 km off on the seaward approach. A
 * river port is different: ships do not anchor in the fairway, they wait at
 * a charted anchorage off the river mouth, often 40-150 km from the
 * terminal. Nowhere else does a ship bound for a port wait for hours.
 */
export interface ChartedAnchorage {
  name: string;
  /** Approximate centre of the anchorage area. */
  at: LonLat;
  radiusKm: number;
  /** The ports whose ships wait there. */
  ports: readonly string[];
}

export const CHARTED_ANCHORAGES: readonly ChartedAnchorage[] = [
  { name: 'Wielingen / Vlakte van de Raan anchorages (Scheldt mouth)', at: [3.3, 51.47], radiusKm: 8, ports: ['BEANR'] },
  { name: 'Elbe approach anchorage (German Bight)', at: [7.75, 54.05], radiusKm: 10, ports: ['DEHAM'] },
  { name: 'Southwest Pass anchorage (Mississippi mouth)', at: [-89.45, 28.88], radiusKm: 10, ports: ['USMSY'] },
  { name: 'Galveston anchorage areas (Houston approach)', at: [-94.55, 29.2], radiusKm: 10, ports: ['USHOU'] },
  { name: 'Guishan anchorage (Pearl River estuary)', at: [113.82, 22.12], radiusKm: 8, ports: ['CNCAN', 'CNNSA', 'CNSHK', 'CNCWN'] },
  { name: 'Vung Tau anchorage (Saigon River approach)', at: [107.05, 10.3], radiusKm: 8, ports: ['VNSGN'] },
  { name: 'Port Angeles anchorage (Strait of Juan de Fuca)', at: [-123.4, 48.14], radiusKm: 8, ports: ['USSEA', 'USTIW'] },
];

export function chartedAnchorageOf(locode: string): ChartedAnchorage | null {
  return CHARTED_ANCHORAGES.find((a) => a.ports.includes(locode)) ?? null;
}

export interface AnchorageWait {
  /** The leg's path, through the charted anchorage when the route passes it at a distance. */
  path: LonLat[];
  kind: EdgeKind[];
  stop: StopSpec;
  where: LonLat;
}

/**
 * Waiting at the anchorage of the port a ship is bound for (berth not yet
 * free), 2-20 h (most waits are short, a few are long): at the port's charted
 * anchorage if it has one (the ship turns off its route to the area's centre
 * and back), otherwise 5-20 km off the port on its seaward approach. None
 * where the approach there is a river or canal fairway. `afterKm`: the
 * wait must lie beyond this distance along the leg (stops already placed).
 */
export function anchorageWait(r: Rng, leg: RouteLegs, port: Port, afterKm = 0): AnchorageWait | null {
  const cum = cumulativeKm(leg.path);
  const total = cum[cum.length - 1]!;
  const dwellMs = (2 + 18 * r.next() ** 2) * 3_600_000;
  const decel = r.uniform(50, 90);
  const wander = drawWander(r, true);
  const charted = chartedAnchorageOf(port.locode);
  if (charted) {
    // the route's nearest approach to the area, in its last 250 km
    let bestKm = -1;
    let best = Infinity;
    for (let km = Math.max(0, total - 250); km <= total; km += 0.5) {
      const d = haversineKm(alongPath(leg.path, cum, km).point, charted.at);
      if (d < best) {
        best = d;
        bestKm = km;
      }
    }
    if (bestKm < 0 || best > 30) return null;
    const spot = charted.at;
    if (best <= 2) {
      if (bestKm <= afterKm + 20) return null;
      return { path: leg.path, kind: leg.kind, stop: { atKm: bestKm, dwellMs, profile: 'sea', decelKmH2: decel, wander, tag: 'anchorage' }, where: alongPath(leg.path, cum, bestKm).point };
    }
    const half = Math.max(4, 1.2 * best);
    const kmA = bestKm - half;
    const kmB = Math.min(total - 1, bestKm + half);
    if (kmA <= afterKm + 20) return null;
    const a = alongPath(leg.path, cum, kmA).point;
    const b = alongPath(leg.path, cum, kmB).point;
    if (!overWater(a, spot, 1) || !overWater(spot, b, 1)) return null;
    const d = splice(leg, cum, kmA, kmB, [spot]);
    const cum2 = cumulativeKm(d.path);
    const i = d.path.findIndex((p) => p[0] === spot[0] && p[1] === spot[1]);
    if (i < 0) return null;
    return { ...d, stop: { atKm: cum2[i]!, dwellMs, profile: 'sea', decelKmH2: decel, wander, tag: 'anchorage' }, where: spot };
  }
  const off = r.uniform(5, 20);
  const here: LonLat = [port.lon, port.lat];
  for (let km = total; km > 0; km -= 0.5) {
    const p = alongPath(leg.path, cum, km).point;
    if (haversineKm(p, here) < off) continue;
    if (km < 20 || km <= afterKm + 20 || kindAt(leg, cum, km) !== 'sea' || isOnLand(p[1], p[0])) return null;
    // only where the approach is open water on both sides of the spot (a fairway between banks is no anchorage)
    if (!allSea(leg, cum, Math.max(0, km - 2), Math.min(total, km + 2))) return null;
    return { path: leg.path, kind: leg.kind, stop: { atKm: km, dwellMs, profile: 'sea', decelKmH2: decel, wander, tag: 'anchorage' }, where: p };
  }
  return null;
}
