import type { Port } from '../../src/geo/ports.js';
import { destination, haversineKm } from '../../src/geo/distance.js';
import { nearestPortKm } from '../itinerary.js';
import type { Rng } from '../rng.js';
import type { TrackFix } from './clean.js';
import type { Breach } from './device.js';
import { ZONE_KM } from './trip.js';

/**
 * Where a breach may go on a real track, and its label (WIRE section 5, with
 * the conventions of simulators/fleet.ts). Each kind goes only where the
 * recorded track supports it: a door under way where the vessel is making
 * way outside the plan's zones, a door at anchor where it lies still outside
 * them, a spoofed or shielded stretch where the tracker was awake and
 * reporting. Times are fix times of the track, so every label falls on what
 * the device reported.
 */
export type BreachKind = Breach['kind'];

export const BREACH_KINDS: readonly BreachKind[] = ['DOOR_OPEN_IN_TRANSIT', 'DOOR_OPEN_UNAUTHORISED_LOCATION', 'LOCATION_JUMP', 'LIGHT_WITH_DOOR_CLOSED', 'LOCATION_GAP'];

export interface PlacedBreach {
  breach: Breach;
  /** Fix times the tracker must report (door events wake it). */
  forced: number[];
  /** The label's from and to (ms, device clock). */
  from: number;
  to: number;
}

export interface TripView {
  fixes: readonly TrackFix[];
  /** Indices into fixes of the tracker's wake-ups (no forced times). */
  wake: readonly number[];
  origin: Port;
  destination: Port;
  ports: readonly Port[];
}

const MIN = 60_000;
const H = 3_600_000;
const TRIES = 60;
/** Outside the plan's zones with a margin, so a breach is never on a zone's edge. */
const OUTSIDE_ZONE_KM = ZONE_KM + 3;

export function placeBreach(kind: BreachKind, v: TripView, r: Rng): PlacedBreach | null {
  const first = v.fixes[0]!.t;
  const last = v.fixes[v.fixes.length - 1]!.t;
  // an hour of history before, an hour of trip after
  const lo = first + H;
  const hi = last - H;
  if (hi - lo < H || v.wake.length < 6) return null;
  switch (kind) {
    case 'DOOR_OPEN_IN_TRANSIT':
      return doorUnderWay(v, lo, hi, r);
    case 'DOOR_OPEN_UNAUTHORISED_LOCATION':
      return doorAtAnchor(v, lo, hi, r);
    case 'LOCATION_JUMP':
      return spoofed(v, lo, hi, r);
    case 'LIGHT_WITH_DOOR_CLOSED':
      return light(v, lo, hi, r);
    case 'LOCATION_GAP':
      return shielded(v, lo, hi, r);
  }
}

function outsideZones(v: TripView, f: TrackFix): boolean {
  return [v.origin, v.destination].every((p) => haversineKm([f.lon, f.lat], [p.lon, p.lat]) > OUTSIDE_ZONE_KM);
}

/** The first fix at or after t (index), or -1. */
function fixAtOrAfter(fixes: readonly TrackFix[], t: number): number {
  let a = 0;
  let b = fixes.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (fixes[m]!.t < t) a = m + 1;
    else b = m;
  }
  return a < fixes.length ? a : -1;
}

/** Door opened for 5-30 min while the vessel makes 6 kn or more, outside the plan's zones; the fixes before it are recent. */
function doorUnderWay(v: TripView, lo: number, hi: number, r: Rng): PlacedBreach | null {
  const f = v.fixes;
  const candidates: number[] = [];
  for (let i = 1; i < f.length; i++) {
    const x = f[i]!;
    if (x.t >= lo && x.t <= hi && (x.sogKn ?? 0) >= 6 && x.t - f[i - 1]!.t <= 10 * MIN && outsideZones(v, x)) candidates.push(i);
  }
  for (let k = 0; k < TRIES && candidates.length > 0; k++) {
    const i = r.pick(candidates);
    const j = fixAtOrAfter(f, f[i]!.t + r.uniform(5, 30) * MIN);
    if (j < 0 || f[j]!.t > hi || f[j]!.t - f[i]!.t > 40 * MIN || (f[j]!.sogKn ?? 0) < 3 || !outsideZones(v, f[j]!)) continue;
    return door('DOOR_OPEN_IN_TRANSIT', f[i]!.t, f[j]!.t);
  }
  return null;
}

/**
 * Door opened for 20-90 min while the vessel lies still (within 0.5 km, under
 * 1 kn, reporting) outside the plan's zones, at least 40 min into the stop;
 * stops within 20 km of a port of the table first (an anchorage or a quay the
 * plan does not name), else any.
 */
function doorAtAnchor(v: TripView, lo: number, hi: number, r: Rng): PlacedBreach | null {
  const f = v.fixes;
  const stops: Array<{ a: number; b: number; nearPort: boolean }> = [];
  for (let a = 0; a < f.length; ) {
    let b = a;
    const still = (x: TrackFix): boolean => x.sogKn === null || x.sogKn < 1;
    while (b + 1 < f.length && still(f[b + 1]!) && f[b + 1]!.t - f[b]!.t <= 30 * MIN && haversineKm([f[a]!.lon, f[a]!.lat], [f[b + 1]!.lon, f[b + 1]!.lat]) <= 0.5) b++;
    if (f[b]!.t - f[a]!.t >= 1.5 * H && outsideZones(v, f[a]!)) stops.push({ a, b, nearPort: nearestPortKm(v.ports, [f[a]!.lon, f[a]!.lat]).km <= 20 });
    a = b + 1;
  }
  const preferred = stops.some((s) => s.nearPort) ? stops.filter((s) => s.nearPort) : stops;
  for (let k = 0; k < TRIES && preferred.length > 0; k++) {
    const s = r.pick(preferred);
    const i = fixAtOrAfter(f, Math.max(lo, f[s.a]!.t + 40 * MIN + r.uniform(0, 30) * MIN));
    if (i < 0 || i > s.b || f[i]!.t > hi) continue;
    const j = fixAtOrAfter(f, f[i]!.t + r.uniform(20, 90) * MIN);
    if (j < 0 || j > s.b || f[j]!.t > Math.min(hi, f[s.b]!.t - 20 * MIN)) continue;
    return door('DOOR_OPEN_UNAUTHORISED_LOCATION', f[i]!.t, f[j]!.t);
  }
  return null;
}

function door(kind: 'DOOR_OPEN_IN_TRANSIT' | 'DOOR_OPEN_UNAUTHORISED_LOCATION', openFix: number, closeFix: number): PlacedBreach {
  // the door event one second after the fix its wake-up takes
  return { breach: { kind, from: openFix + 1000, to: closeFix + 1000 }, forced: [openFix, closeFix], from: openFix + 1000, to: closeFix + 1000 };
}

/**
 * A spoofed stretch of 20-120 min: the reported positions come from a track
 * 250-800 km away, on its own course and speed, then the true ones return.
 * Only where the wake-ups are at most an hour apart, so the jump implies a
 * speed no vessel makes. from = first spoofed fix, to = first true fix after.
 */
function spoofed(v: TripView, lo: number, hi: number, r: Rng): PlacedBreach | null {
  const f = v.fixes;
  const w = v.wake;
  for (let k = 0; k < TRIES; k++) {
    const s = r.int(1, w.length - 2);
    const start = f[w[s]!]!;
    if (start.t < lo) continue;
    const dur = r.uniform(20, 120) * MIN;
    let e = s;
    while (e < w.length && f[w[e]!]!.t < start.t + dur) e++;
    if (e >= w.length || e - s < 2 || f[w[e]!]!.t > hi) continue;
    let dense = true;
    for (let q = s; q <= e && dense; q++) dense = f[w[q]!]!.t - f[w[q - 1]!]!.t <= H;
    if (!dense) continue;
    const anchor = destination([start.lon, start.lat], r.uniform(0, 360), r.uniform(250, 800));
    if (Math.abs(anchor[1]) > 72) continue;
    const to = f[w[e]!]!.t;
    return { breach: { kind: 'LOCATION_JUMP', from: start.t, to, anchor, headingDeg: Math.round(r.uniform(0, 359)), kn: Math.round(r.uniform(0, 14) * 10) / 10 }, forced: [], from: start.t, to };
  }
  return null;
}

/** Light of tens to hundreds of lux for 11-40 min with the door closed, a reading every 3-5 min; the tracker is reporting then (an AIS fix within 20 min). */
function light(v: TripView, lo: number, hi: number, r: Rng): PlacedBreach | null {
  const f = v.fixes;
  for (let k = 0; k < TRIES; k++) {
    const dur = r.uniform(11, 40) * MIN;
    const from = Math.round(r.uniform(lo, hi - dur) / 1000) * 1000;
    const to = Math.round((from + dur) / 1000) * 1000;
    const i = fixAtOrAfter(f, from);
    if (i < 1 || f[i]!.t - from > 20 * MIN || from - f[i - 1]!.t > 20 * MIN) continue;
    const luxMin = r.uniform(30, 80);
    return { breach: { kind: 'LIGHT_WITH_DOOR_CLOSED', from, to, stepMs: Math.round(r.uniform(3, 5) * 60) * 1000, luxMin, luxMax: luxMin + r.uniform(50, 350) }, forced: [], from, to };
  }
  return null;
}

/**
 * Shielding: no position for 4-8 h while temperature and light go on. Only
 * where the tracker was awake throughout (wake-ups at most 65 min apart).
 * from = last fix before, to = first fix after (fleet.ts's convention).
 * Not shorter: 3 h is LOCATION_GAP's floor (a GNSS dropout below deck lasts
 * up to 2 h), so a gap just over it is a coin toss, and a shielding that
 * matters (to open a box unseen, to divert it) lasts hours.
 */
function shielded(v: TripView, lo: number, hi: number, r: Rng): PlacedBreach | null {
  const f = v.fixes;
  const w = v.wake;
  for (let k = 0; k < TRIES; k++) {
    const a = r.int(0, w.length - 2);
    const from = f[w[a]!]!.t;
    if (from < lo) continue;
    const len = r.uniform(4, 8) * H;
    let b = a + 1;
    while (b < w.length && f[w[b]!]!.t < from + len) b++;
    if (b >= w.length || b - a < 4) continue;
    const to = f[w[b]!]!.t;
    if (to > hi || to - from > 8.5 * H) continue;
    let awake = true;
    for (let q = a + 1; q <= b && awake; q++) awake = f[w[q]!]!.t - f[w[q - 1]!]!.t <= 65 * MIN;
    if (!awake) continue;
    return { breach: { kind: 'LOCATION_GAP', from, to }, forced: [], from, to };
  }
  return null;
}
