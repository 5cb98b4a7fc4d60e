import { distance } from 'geokdbush';

/**
 * Spherical geometry shared by the rules and the simulator: great-circle
 * distance, speed in knots, bearing, interpolation and offsets. Plain math
 * (no turf) because it runs for every reading and every simulated fix.
 */
export type LonLat = [number, number];

export const EARTH_RADIUS_KM = 6371.0088;
export const KM_PER_NM = 1.852;
const RAD = Math.PI / 180;

/**
 * Great-circle distance in km as the rules measure it (geokdbush: cheap
 * enough for every reading). Its earth radius differs from haversineKm's in
 * the fourth digit; the two stay apart because the rules' figures appear in
 * alerts and the simulator's in its corpora, and both are fixed by replays.
 */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  return distance(lon1, lat1, lon2, lat2);
}

export function kmBetween(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  return greatCircleKm(a.lat, a.lon, b.lat, b.lon);
}

/**
 * A distance never below kmBetween(a, b), without trigonometry: along the
 * meridian and then the parallel is never shorter than the great circle, nor
 * a parallel longer than the equator, so R x (|dlat| + |dlon|) in radians,
 * with R above geokdbush's 6371 km by a millionth and more (far above the
 * rounding of either), and a micrometre more (points a hair apart, whose
 * sines squared fall below the doubles' normal range, measure up to some
 * 1e-157 km however close they are). For rules that only need a distance
 * when it may be large.
 */
export function kmAtMost(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  return (Math.abs(b.lat - a.lat) + Math.abs(b.lon - a.lon)) * BOUND_KM_PER_RAD * RAD + 1e-9;
}
const BOUND_KM_PER_RAD = 6371.01;

/** Knots implied by covering `km` in `ms`. */
export function knots(km: number, ms: number): number {
  return ms > 0 ? km / KM_PER_NM / (ms / 3_600_000) : Infinity;
}

export function haversineKm(a: LonLat, b: LonLat): number {
  const dLat = (b[1] - a[1]) * RAD;
  const dLon = (b[0] - a[0]) * RAD;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * RAD) * Math.cos(b[1] * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** Initial bearing from a to b, degrees in [0, 360). */
export function bearingDeg(a: LonLat, b: LonLat): number {
  const f1 = a[1] * RAD;
  const f2 = b[1] * RAD;
  const dl = (b[0] - a[0]) * RAD;
  const y = Math.sin(dl) * Math.cos(f2);
  const x = Math.cos(f1) * Math.sin(f2) - Math.sin(f1) * Math.cos(f2) * Math.cos(dl);
  return (Math.atan2(y, x) / RAD + 360) % 360;
}

export function normaliseLon(lon: number): number {
  let l = ((((lon + 180) % 360) + 360) % 360) - 180;
  if (l === -180 && lon > 0) l = 180;
  return l;
}

/** The point at fraction f (0..1) along the great circle from a to b. */
export function interpolate(a: LonLat, b: LonLat, f: number): LonLat {
  if (f <= 0) return [a[0], a[1]];
  if (f >= 1) return [b[0], b[1]];
  const f1 = a[1] * RAD;
  const l1 = a[0] * RAD;
  const f2 = b[1] * RAD;
  const l2 = b[0] * RAD;
  const d = haversineKm(a, b) / EARTH_RADIUS_KM;
  if (d < 1e-9) return [a[0], a[1]];
  const A = Math.sin((1 - f) * d) / Math.sin(d);
  const B = Math.sin(f * d) / Math.sin(d);
  const x = A * Math.cos(f1) * Math.cos(l1) + B * Math.cos(f2) * Math.cos(l2);
  const y = A * Math.cos(f1) * Math.sin(l1) + B * Math.cos(f2) * Math.sin(l2);
  const z = A * Math.sin(f1) + B * Math.sin(f2);
  return [normaliseLon(Math.atan2(y, x) / RAD), Math.atan2(z, Math.sqrt(x * x + y * y)) / RAD];
}

/** The point `km` away from p on bearing `deg`. */
export function destination(p: LonLat, deg: number, km: number): LonLat {
  const d = km / EARTH_RADIUS_KM;
  const t = deg * RAD;
  const f1 = p[1] * RAD;
  const l1 = p[0] * RAD;
  const f2 = Math.asin(Math.sin(f1) * Math.cos(d) + Math.cos(f1) * Math.sin(d) * Math.cos(t));
  const l2 = l1 + Math.atan2(Math.sin(t) * Math.sin(d) * Math.cos(f1), Math.cos(d) - Math.sin(f1) * Math.sin(f2));
  return [normaliseLon(l2 / RAD), f2 / RAD];
}

/** Shifts a point by metres east and north (small offsets: GPS noise). */
export function offsetMetres(p: LonLat, eastM: number, northM: number): LonLat {
  const dLat = northM / 1000 / EARTH_RADIUS_KM / RAD;
  const dLon = eastM / 1000 / (EARTH_RADIUS_KM * Math.cos(p[1] * RAD)) / RAD;
  return [normaliseLon(p[0] + dLon), Math.max(-90, Math.min(90, p[1] + dLat))];
}

/** Cumulative distances along a polyline, km; out[0] = 0. */
export function cumulativeKm(path: readonly LonLat[]): number[] {
  const out = [0];
  for (let i = 1; i < path.length; i++) out.push(out[i - 1]! + haversineKm(path[i - 1]!, path[i]!));
  return out;
}

/** The point `km` along a polyline with precomputed cumulative distances, and the bearing there. */
export function alongPath(path: readonly LonLat[], cum: readonly number[], km: number): { point: LonLat; heading: number; segment: number } {
  const total = cum[cum.length - 1]!;
  if (path.length === 1) return { point: [path[0]![0], path[0]![1]], heading: 0, segment: 0 };
  const x = Math.max(0, Math.min(total, km));
  // binary search for the segment
  let lo = 0;
  let hi = cum.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const a = path[lo]!;
  const b = path[hi]!;
  const len = cum[hi]! - cum[lo]!;
  const f = len > 0 ? (x - cum[lo]!) / len : 0;
  const point = interpolate(a, b, f);
  const heading = len > 0 ? bearingDeg(point, f < 1 ? b : point) : 0;
  return { point, heading: f < 1 ? heading : bearingDeg(a, b), segment: lo };
}

/** Shortest distance (km) from p to a polyline; equirectangular around p, good to a few per cent at the distances it is used for (tens of km). */
export function kmFromPolyline(p: LonLat, path: readonly LonLat[]): number {
  const k = Math.cos(p[1] * RAD) * EARTH_RADIUS_KM * RAD;
  const ky = EARTH_RADIUS_KM * RAD;
  const xy = (q: LonLat): [number, number] => {
    let dx = q[0] - p[0];
    if (dx > 180) dx -= 360;
    if (dx < -180) dx += 360;
    return [dx * k, (q[1] - p[1]) * ky];
  };
  let best = Infinity;
  for (let i = 0; i + 1 < path.length; i++) {
    const [ax, ay] = xy(path[i]!);
    const [bx, by] = xy(path[i + 1]!);
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const t = len2 > 0 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2)) : 0;
    const cx = ax + t * dx;
    const cy = ay + t * dy;
    const d = Math.sqrt(cx * cx + cy * cy);
    if (d < best) best = d;
  }
  return best;
}
