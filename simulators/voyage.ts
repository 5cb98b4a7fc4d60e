import { alongPath, cumulativeKm, KM_PER_NM, offsetMetres, type LonLat } from '../src/geo/distance.js';
import type { Rng } from './rng.js';
import type { EdgeKind } from '../src/geo/sea-lanes.js';

/**
 * One ship's passage from berth to berth: speed over the route as a function
 * of time, integrated once, then sampled for every container aboard.
 *
 * - leaving and approaching a berth (and any stop on the way) the ship is
 *   slow: 2 kn at the quay rising to 8 kn 10 km out, then up to service speed
 *   20 km out;
 * - canal transits are sailed at 6-8 kn, river fairways at 8-11 kn;
 * - at sea the speed wanders around the service speed (14-20 kn): two slow
 *   swells plus a small random walk.
 */
export interface SailingSpec {
  id: string;
  /** The ship's IoT gateway (batch-v1), e.g. VSL-9384751. */
  gatewayId: string;
  path: LonLat[];
  kind: EdgeKind[];
  /** Leaves the berth at this time (ms). */
  departure: number;
  /** Service speed, knots. */
  cruiseKn: number;
  /** Stops on the way: where along the path and for how long. */
  stops?: StopSpec[];
}

/**
 * A stop on the way. `berth`: alongside a quay (harbour approach, moored, no
 * motion). `sea`: anchored or holding position off a coast or in open water:
 * the ship slows over a few kilometres (constant deceleration, `decelKmH2`),
 * then wanders round its stop point (`wander`), then speeds up again the same way.
 */
export interface StopSpec {
  atKm: number;
  dwellMs: number;
  profile?: 'berth' | 'sea';
  /** Deceleration and acceleration at a sea stop, km/h per hour (70: from 16 kn to rest in about 25 min, over about 6 km). */
  decelKmH2?: number;
  wander?: StopWander;
  /** What the stop is, for the scenario code: 'call', 'anchorage', 'unscheduled', 'rendezvous'. */
  tag?: string;
}

/**
 * Motion round the stop point while stopped: a sum of slow oscillations
 * (km, along a bearing), faded in and out over the first and last 45 min so
 * the track stays continuous. An anchored ship swings round its anchor with the
 * tide (a few hundred metres, 12.4 h) and sheers a few tens of metres every
 * quarter of an hour; a ship holding position at sea drifts with wind and
 * current and is brought back by engine kicks (a few hundred metres over hours).
 */
export interface StopWander {
  terms: Array<{ ampKm: number; periodMs: number; phase: number; bearingDeg: number }>;
}

export interface StopWindow {
  from: number;
  to: number;
  atKm: number;
  profile: 'berth' | 'sea';
  tag: string | undefined;
  wander: StopWander | undefined;
}

export interface ShipState {
  point: LonLat;
  speedKn: number;
  heading: number;
  /** Alongside a berth or stopped (not under way). */
  stopped: boolean;
  km: number;
}

const STEP_MS = 60_000;
const SAMPLE_EVERY = 2; // steps: one sample per 2 minutes

export class Sailing {
  readonly id: string;
  readonly gatewayId: string;
  readonly path: LonLat[];
  readonly kind: EdgeKind[];
  readonly cum: number[];
  readonly totalKm: number;
  readonly departure: number;
  readonly arrival: number;
  readonly cruiseKn: number;
  /** Actual stop windows along the way. */
  readonly stopWindows: StopWindow[] = [];
  private readonly xs: Float64Array;
  private readonly vs: Float32Array;
  private readonly sampleMs = STEP_MS * SAMPLE_EVERY;

  constructor(spec: SailingSpec, rng: Rng) {
    this.id = spec.id;
    this.gatewayId = spec.gatewayId;
    this.path = spec.path;
    this.kind = spec.kind;
    this.cum = cumulativeKm(spec.path);
    this.totalKm = this.cum[this.cum.length - 1]!;
    this.departure = spec.departure;
    this.cruiseKn = spec.cruiseKn;
    const stops = (spec.stops ?? []).slice().sort((a, b) => a.atKm - b.atKm);
    const canalKn = rng.uniform(6.3, 7.7);
    const riverKn = rng.uniform(8.5, 10.5);
    const p1 = rng.uniform(9, 20) * 3_600_000;
    const p2 = rng.uniform(30, 70) * 3_600_000;
    const f1 = rng.uniform(0, 2 * Math.PI);
    const f2 = rng.uniform(0, 2 * Math.PI);
    const a1 = rng.uniform(0.3, 0.8);
    const a2 = rng.uniform(0.2, 0.6);
    let walk = 0;
    const xs: number[] = [0];
    const vs: number[] = [0];
    let x = 0;
    let t = 0; // ms since departure
    let seg = 0;
    let stopIdx = 0;
    let step = 0;
    let v = 2;
    let holdUntil = -1;
    const maxSteps = 200 * 24 * 60; // 200 days: a safety net, never reached on real routes
    while (x < this.totalKm && step < maxSteps) {
      step++;
      t += STEP_MS;
      if (holdUntil >= 0) {
        v = 0;
        if (t >= holdUntil) holdUntil = -1;
      } else {
        while (seg < this.kind.length - 1 && this.cum[seg + 1]! <= x) seg++;
        if (step % 10 === 0) walk = Math.max(-0.8, Math.min(0.8, 0.9 * walk + rng.normal(0, 0.12)));
        let target = this.cruiseKn + a1 * Math.sin((2 * Math.PI * t) / p1 + f1) + a2 * Math.sin((2 * Math.PI * t) / p2 + f2) + walk;
        target = Math.max(14, Math.min(20, target));
        const k = this.kind[seg];
        if (k === 'canal') target = Math.min(target, canalKn + rng.normal(0, 0.05));
        else if (k === 'river') target = Math.min(target, riverKn + rng.normal(0, 0.05));
        // distance to the nearest berth or stop, along the route
        let d = Math.min(x, this.totalKm - x);
        let seaKn = Infinity;
        for (const s of [stops[stopIdx], stops[stopIdx - 1]]) {
          if (!s) continue;
          const ds = Math.abs(s.atKm - x);
          if (s.profile === 'sea') seaKn = Math.min(seaKn, Math.max(0.8, Math.sqrt(2 * (s.decelKmH2 ?? 70) * ds) / KM_PER_NM));
          else d = Math.min(d, ds);
        }
        if (d < 10) target = Math.min(target, 2 + 0.6 * d);
        else if (d < 20) target = Math.min(target, 8 + ((target - 8) * (d - 10)) / 10);
        target = Math.min(target, seaKn);
        // ships change speed gradually (about 1 kn per minute at most)
        v = v + Math.max(-1, Math.min(1, target - v));
        let nx = x + (v * KM_PER_NM * STEP_MS) / 3_600_000;
        if (stopIdx < stops.length && nx >= stops[stopIdx]!.atKm) {
          const s = stops[stopIdx]!;
          nx = s.atKm;
          holdUntil = t + s.dwellMs;
          this.stopWindows.push({ from: spec.departure + t, to: spec.departure + t + s.dwellMs, atKm: s.atKm, profile: s.profile ?? 'berth', tag: s.tag, wander: s.wander });
          stopIdx++;
          v = 0;
        }
        x = Math.min(this.totalKm, nx);
      }
      if (step % SAMPLE_EVERY === 0 || x >= this.totalKm) {
        xs.push(x);
        vs.push(x >= this.totalKm ? 0 : v);
      }
    }
    this.xs = Float64Array.from(xs);
    this.vs = Float32Array.from(vs);
    this.arrival = spec.departure + (this.xs.length - 1) * this.sampleMs;
  }

  /** Where the ship is at time t (before departure: at the first berth; after arrival: at the last). */
  at(t: number): ShipState {
    if (t <= this.departure) return { point: [this.path[0]![0], this.path[0]![1]], speedKn: 0, heading: 0, stopped: true, km: 0 };
    if (t >= this.arrival) {
      const last = this.path[this.path.length - 1]!;
      return { point: [last[0], last[1]], speedKn: 0, heading: 0, stopped: true, km: this.totalKm };
    }
    const f = (t - this.departure) / this.sampleMs;
    const i = Math.min(this.xs.length - 2, Math.floor(f));
    const w = f - i;
    const km = this.xs[i]! + (this.xs[i + 1]! - this.xs[i]!) * w;
    const speedKn = this.vs[i]! + (this.vs[i + 1]! - this.vs[i]!) * w;
    const a = alongPath(this.path, this.cum, km);
    for (const sw of this.stopWindows) {
      if (t < sw.from || t >= sw.to || !sw.wander) continue;
      const p = wanderOffset(sw.wander, t - sw.from, sw.to - sw.from);
      const q = wanderOffset(sw.wander, t - sw.from + 60_000, sw.to - sw.from);
      const point = offsetMetres(a.point, p[0] * 1000, p[1] * 1000);
      const kmPerMin = Math.hypot(q[0] - p[0], q[1] - p[1]);
      const heading = (Math.atan2(q[0] - p[0], q[1] - p[1]) * 180) / Math.PI;
      return { point, speedKn: (kmPerMin * 60) / KM_PER_NM, heading: (heading + 360) % 360, stopped: true, km };
    }
    return { point: a.point, speedKn, heading: a.heading, stopped: speedKn < 0.5, km };
  }

  /** The first time the ship is `km` along its route. */
  timeAtKm(km: number): number {
    if (km <= 0) return this.departure;
    let lo = 0;
    let hi = this.xs.length - 1;
    if (this.xs[hi]! < km) return this.arrival;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.xs[mid]! >= km) hi = mid;
      else lo = mid;
    }
    const x0 = this.xs[lo]!;
    const x1 = this.xs[hi]!;
    const w = x1 > x0 ? (km - x0) / (x1 - x0) : 0;
    return this.departure + (lo + w) * this.sampleMs;
  }

  /** Index of the path segment at `km` along the route. */
  segmentAt(km: number): number {
    let i = 0;
    while (i < this.kind.length - 1 && this.cum[i + 1]! <= km) i++;
    return i;
  }
}

const FADE_MS = 45 * 60_000;

/** East and north offset (km) of a wandering stop, `u` ms after it began. */
function wanderOffset(w: StopWander, u: number, dwell: number): [number, number] {
  const env = Math.max(0, Math.min(1, u / FADE_MS, (dwell - u) / FADE_MS));
  let e = 0;
  let n = 0;
  for (const t of w.terms) {
    const x = t.ampKm * Math.sin((2 * Math.PI * u) / t.periodMs + t.phase);
    const b = (t.bearingDeg * Math.PI) / 180;
    e += x * Math.sin(b);
    n += x * Math.cos(b);
  }
  return [e * env, n * env];
}
