import type { SimReading, WireFormat } from '../encoders.js';
import { destination, haversineKm, KM_PER_NM, type LonLat } from '../../src/geo/distance.js';
import type { Rng } from '../rng.js';
import type { TrackFix } from './clean.js';

/**
 * The tracker on a container of a real track: what it measures and when.
 *
 * Like real battery-powered trackers it wakes on a schedule that depends on
 * motion: a position every 5-10 min while the vessel moves, every 30-60 min
 * while it lies still (motion-triggered reporting). Each wake-up is one AIS
 * fix of the track, at its recorded time and place; AIS reports in between
 * are dropped (thinning), and where the AIS has no report the tracker has
 * none either: the track's real gaps stay gaps, for every reading. At a
 * wake-up the tracker also reads temperature and light (every 15-30 min) and
 * repeats its door state (every 2-6 h); the door is closed from the start.
 */
export interface DeviceProfile {
  format: WireFormat;
  movingEveryMs: number;
  stationaryEveryMs: number;
  sensorEveryMs: number;
  doorEveryMs: number;
  /** Most GNSS trackers report speed over ground; some send positions only. */
  reportsSpeed: boolean;
  /**
   * Measurement to pipeline, for a device that sends itself (json-v1 over
   * cellular, csv-v1 over satellite): each device has its own link, so its
   * own range. batch-v1 devices go through the vessel's gateway instead.
   */
  delayMs: { min: number; max: number };
}

/** What the box holds and how its air behaves: a dry box follows the day, a reefer holds its setpoint. */
export interface BoxClimate {
  reefer: { setpointC: number } | null;
  /** Dry box: daily mean and half the daily swing (°C). */
  meanC: number;
  swingC: number;
}

/** One injected breach, in the device's clock (ms); see breaches.ts for where each may go. */
export type Breach =
  | { kind: 'DOOR_OPEN_IN_TRANSIT' | 'DOOR_OPEN_UNAUTHORISED_LOCATION'; from: number; to: number }
  | { kind: 'LOCATION_JUMP'; from: number; to: number; anchor: LonLat; headingDeg: number; kn: number }
  | { kind: 'LIGHT_WITH_DOOR_CLOSED'; from: number; to: number; stepMs: number; luxMin: number; luxMax: number }
  | { kind: 'LOCATION_GAP'; from: number; to: number };

const MIN = 60_000;
const H = 3_600_000;
/** Under this speed over ground the vessel lies still (anchored ships swing at a knot or less). */
const STILL_KN = 1.5;

export function drawProfile(r: Rng, format: WireFormat): DeviceProfile {
  const profile = {
    format,
    movingEveryMs: Math.round(r.uniform(5, 10) * MIN),
    stationaryEveryMs: Math.round(r.uniform(30, 60) * MIN),
    sensorEveryMs: Math.round(r.uniform(15, 30) * MIN),
    doorEveryMs: Math.round(r.uniform(2, 6) * H),
    reportsSpeed: r.chance(0.8),
  };
  // a cellular json-v1 device answers within 0.2-2.5 s, a satellite csv-v1 link within 3-15 s: each its own part of that
  const [lo, hi] = format === 'csv-v1' ? [3_000, 15_000] : [200, 2_500];
  const a = r.uniform(lo, hi);
  const b = r.uniform(lo, hi);
  return { ...profile, delayMs: { min: Math.round(Math.min(a, b)), max: Math.round(Math.max(a, b)) } };
}

/**
 * The wake-ups: indices of the track's fixes the tracker reports. `forced`
 * fix times are always kept (a door event wakes the tracker, which takes a
 * fix then).
 */
export function wakeUps(fixes: readonly TrackFix[], p: DeviceProfile, forced: ReadonlySet<number> = new Set()): number[] {
  const out: number[] = [];
  for (let i = 0; i < fixes.length; i++) {
    const f = fixes[i]!;
    if (out.length === 0 || forced.has(f.t)) {
      out.push(i);
      continue;
    }
    const last = fixes[out[out.length - 1]!]!;
    const dt = f.t - last.t;
    const km = haversineKm([last.lon, last.lat], [f.lon, f.lat]);
    const moving = f.sogKn !== null ? f.sogKn > STILL_KN : km / KM_PER_NM / (dt / H) > STILL_KN;
    // a tracker lying still wakes early when it is moved (its motion sensor): 2 km off its last fix
    if (dt >= (moving || km > 2 ? p.movingEveryMs : p.stationaryEveryMs)) out.push(i);
  }
  return out;
}

/** Local solar hour at a longitude: the sun, not the clock, warms a box's walls. */
function solarHour(t: number, lon: number): number {
  return (((t / H + lon / 15) % 24) + 24) % 24;
}

/**
 * Every reading of the trip in measurement order, with the breach (if any)
 * applied. `wake` is wakeUps() for the same fixes and forced times.
 */
export function deviceReadings(fixes: readonly TrackFix[], wake: readonly number[], p: DeviceProfile, box: BoxClimate, breach: Breach | null, r: Rng): SimReading[] {
  const out: SimReading[] = [];
  const lit = (t: number): boolean => breach?.kind === 'LIGHT_WITH_DOOR_CLOSED' && t >= breach.from && t < breach.to;
  const lux = (t: number): number => (lit(t) && breach?.kind === 'LIGHT_WITH_DOOR_CLOSED' ? r.uniform(breach.luxMin, breach.luxMax) : Math.abs(r.normal(0, 0.15)));
  const celsius = (t: number, lon: number): number => (box.reefer ? box.reefer.setpointC + r.normal(0, 0.25) : box.meanC + box.swingC * Math.cos((2 * Math.PI * (solarHour(t, lon) - 15)) / 24) + r.normal(0, 0.2));
  let lastSensor = -Infinity;
  let lastDoor = -Infinity;
  for (const i of wake) {
    const f = fixes[i]!;
    const t = f.t;
    const shielded = breach?.kind === 'LOCATION_GAP' && t > breach.from && t < breach.to;
    if (!shielded) out.push(position(f, p, breach));
    // door events wake the tracker at the fix it takes for them: one second after it
    const door = breach && (breach.kind === 'DOOR_OPEN_IN_TRANSIT' || breach.kind === 'DOOR_OPEN_UNAUTHORISED_LOCATION') ? breach : null;
    if (door && (t + 1000 === door.from || t + 1000 === door.to)) {
      out.push({ kind: 'door', ts: t + 1000, open: t + 1000 === door.from });
      lastDoor = t;
    } else if (t - lastDoor >= p.doorEveryMs && !(door && t + 1000 > door.from && t + 1000 < door.to)) {
      out.push({ kind: 'door', ts: t + 1000, open: false });
      lastDoor = t;
    }
    // a minute's tolerance: wake-ups do not fall on the sensor period exactly
    if (t - lastSensor >= p.sensorEveryMs - MIN) {
      const temp: SimReading = { kind: 'temp', ts: t + 2000, celsius: celsius(t, f.lon) };
      if (box.reefer) temp.setpointC = box.reefer.setpointC;
      out.push(temp, { kind: 'light', ts: t + 3000, lux: lux(t + 3000) });
      lastSensor = t;
    }
  }
  if (breach?.kind === 'LIGHT_WITH_DOOR_CLOSED') {
    // light wakes the tracker: a reading every few minutes while it lasts, and one when it is dark again
    for (let t = breach.from; t < breach.to; t += breach.stepMs) out.push({ kind: 'light', ts: t, lux: lux(t) });
    out.push({ kind: 'light', ts: breach.to, lux: lux(breach.to) });
  }
  return sortByTime(out);
}

function position(f: TrackFix, p: DeviceProfile, breach: Breach | null): SimReading {
  if (breach?.kind === 'LOCATION_JUMP' && f.t >= breach.from && f.t < breach.to) {
    // the spoofer's track: from its anchor, on its own course and speed
    const km = breach.kn * KM_PER_NM * ((f.t - breach.from) / H);
    const [lon, lat] = destination(breach.anchor, breach.headingDeg, km);
    return { kind: 'gps', ts: f.t, lat, lon, ...(p.reportsSpeed ? { speedKn: breach.kn, headingDeg: breach.headingDeg } : {}) };
  }
  const g: SimReading = { kind: 'gps', ts: f.t, lat: f.lat, lon: f.lon };
  if (p.reportsSpeed && f.sogKn !== null) {
    g.speedKn = f.sogKn;
    if (f.cogDeg !== null && f.sogKn > STILL_KN) g.headingDeg = f.cogDeg;
  }
  return g;
}

function sortByTime(rs: SimReading[]): SimReading[] {
  return rs
    .map((x, i) => ({ x, i }))
    .sort((a, b) => a.x.ts - b.x.ts || a.i - b.i)
    .map((y) => y.x);
}
