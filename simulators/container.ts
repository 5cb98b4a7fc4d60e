import type { Port } from '../src/geo/ports.js';
import type { WireFormat } from './encoders.js';
import { destination, offsetMetres, type LonLat } from '../src/geo/distance.js';
import type { Rng } from './rng.js';
import type { Sailing } from './voyage.js';

/**
 * One monitored container: where it is at any time (terminal yards and the
 * ships that carry it), what its door, light and temperature do, and what
 * its device measures. Breaches are overlays on this model, so a breach is
 * physically consistent with everything else the device reports.
 */
export type ScenarioKind =
  | 'DOOR_OPEN_IN_TRANSIT'
  | 'DOOR_OPEN_UNAUTHORISED_LOCATION'
  | 'LIGHT_WITH_DOOR_CLOSED'
  | 'TEMPERATURE_EXCURSION'
  | 'LOCATION_JUMP'
  | 'ROUTE_DEVIATION'
  | 'UNSCHEDULED_STOP'
  | 'RIP_ON_RIP_OFF'
  | 'LOCATION_GAP'
  | 'TEMPERATURE_ANOMALY';

export type Phase =
  | { kind: 'yard'; from: number; to: number; port: Port; point: LonLat }
  | { kind: 'ship'; from: number; to: number; sailing: Sailing };

export type Breach =
  | { kind: 'DOOR_OPEN_IN_TRANSIT'; from: number; to: number }
  /** An unplanned call where the door is opened (from) and closed again (to) while the ship is alongside (stoppedAt..leftAt). */
  | { kind: 'DOOR_OPEN_UNAUTHORISED_LOCATION' | 'RIP_ON_RIP_OFF'; from: number; to: number; port: Port; stoppedAt: number; leftAt: number }
  | { kind: 'LIGHT_WITH_DOOR_CLOSED'; from: number; to: number }
  | { kind: 'TEMPERATURE_EXCURSION'; start: number; rise: number; plateau: number; fall: number; peak: number; from: number; to: number }
  | { kind: 'LOCATION_JUMP'; from: number; to: number; anchor: LonLat; fakeHeading: number; fakeKn: number }
  /** The ship leaves the planned route at leftRouteAt, strays up to offKm off it, is back on it at rejoinedAt; `route` is the plan's. */
  | { kind: 'ROUTE_DEVIATION'; from: number; to: number; route: LonLat[]; offKm: number }
  /** The ship stops at sea or off a coast (anchored or holding position). */
  | { kind: 'UNSCHEDULED_STOP'; from: number; to: number; point: LonLat; anchored: boolean }
  /** jammed: no GNSS fix in [from, to), other readings go on; silenced: no reading at all in [from, to), then a power-on report. */
  | { kind: 'LOCATION_GAP'; variant: 'jammed' | 'silenced'; from: number; to: number }
  /**
   * reefer: the air moves deltaC (inside the band) over `rise`, stays `hold`, comes back over `fall` (linear ramps);
   * dry: a heat source on from `start` for `hold`, the air approaching ambient + deltaC with time constant `rise`
   * and cooling back with time constant `fall` once it is off; deltaC puts the air aboveRangeC over the box's own
   * range of the previous day (set once the box's ambient character is known).
   */
  | { kind: 'TEMPERATURE_ANOMALY'; variant: 'reefer' | 'dry'; start: number; rise: number; hold: number; fall: number; deltaC: number; aboveRangeC: number; from: number; to: number };

export interface DeviceProfile {
  format: WireFormat;
  gpsEveryMs: number;
  reportsSpeed: boolean;
  hdopMean: number;
  doorEveryMs: number;
  lightEveryMs: number;
  tempEveryMs: number;
  /** Constant offset of the device clock from true time (ms). */
  skewMs: number;
}

export interface ContainerModel {
  index: number;
  containerId: string;
  deviceId: string;
  tripId: string;
  reefer: { setpointC: number; toleranceC: number } | null;
  device: DeviceProfile;
  phases: Phase[];
  /** Device reporting window (true time). */
  first: number;
  last: number;
  /** Door-open intervals, true time, sorted. */
  doorOpen: Array<{ from: number; to: number }>;
  breach: Breach | null;
  /** Reefer defrost cycles. */
  defrosts: Array<{ start: number; dur: number; amp: number }>;
  /** Dry box: ambient temperature character. */
  ambient: { offset: number; swing: number };
}

/**
 * A reading as generated: the true measurement time `tt`, the device's own
 * timestamp `ts` (true time plus the device clock skew) and the values; a
 * SimReading the encoders take as it is. `spoofed` marks GNSS fixes of a
 * LOCATION_JUMP.
 */
export type TrueReading =
  | { tt: number; ts: number; kind: 'door'; open: boolean }
  | { tt: number; ts: number; kind: 'gps'; lat: number; lon: number; speedKn?: number; headingDeg?: number; hdop: number; spoofed?: boolean }
  | { tt: number; ts: number; kind: 'light'; lux: number }
  | { tt: number; ts: number; kind: 'temp'; celsius: number; setpointC?: number };

export interface Where {
  point: LonLat;
  speedKn: number;
  heading: number;
  stopped: boolean;
  phase: Phase;
}

export function phaseAt(m: ContainerModel, t: number): Phase {
  const ph = m.phases;
  for (let i = ph.length - 1; i >= 0; i--) if (t >= ph[i]!.from) return ph[i]!;
  return ph[0]!;
}

export function whereAt(m: ContainerModel, t: number): Where {
  const phase = phaseAt(m, t);
  if (phase.kind === 'yard') return { point: phase.point, speedKn: 0, heading: 0, stopped: true, phase };
  const s = phase.sailing.at(t);
  return { point: s.point, speedKn: s.speedKn, heading: s.heading, stopped: s.stopped, phase };
}

export function isDoorOpen(m: ContainerModel, t: number): boolean {
  for (const o of m.doorOpen) {
    if (t < o.from) return false;
    if (t < o.to) return true;
  }
  return false;
}

/** Rough daylight: local solar time between 06:30 and 17:30. */
export function isDaylight(t: number, lon: number): boolean {
  const h = (((t / 3_600_000 + lon / 15) % 24) + 24) % 24;
  return h >= 6.5 && h <= 17.5;
}

function localHour(t: number, lon: number): number {
  return (((t / 3_600_000 + lon / 15) % 24) + 24) % 24;
}

/** Temperature model (no measurement noise). */
export function temperatureAt(m: ContainerModel, t: number, where: Where): number {
  if (m.reefer) {
    let c = m.reefer.setpointC;
    for (const d of m.defrosts) {
      if (t < d.start) break;
      if (t < d.start + d.dur) {
        const u = (t - d.start) / d.dur;
        c += u < 0.4 ? (d.amp * u) / 0.4 : (d.amp * (1 - u)) / 0.6;
      }
    }
    const b = m.breach;
    if (b && b.kind === 'TEMPERATURE_EXCURSION') c += excursion(b, t);
    if (b && b.kind === 'TEMPERATURE_ANOMALY') c += anomaly(b, t);
    return c;
  }
  // A dry box follows the air around it: warmer in the tropics, colder in the winter of its hemisphere,
  // and a daily swing of 1-2 degrees either way (a steel box in a stack, its air lagging the outside).
  // The swing is the same in the yard and at sea, and the air changes only as fast as the ship changes
  // latitude, so the box never looks unlike its own recent history.
  const lat = where.point[1];
  const over = Math.max(0, Math.abs(lat) - 12);
  const dayOfYear = (t / 86_400_000) % 365.25;
  const winter = Math.cos((2 * Math.PI * (dayOfYear - 15)) / 365.25) * (lat >= 0 ? 1 : -1);
  const base = 27 - 0.45 * over - 0.2 * over * winter + m.ambient.offset;
  const air = base + m.ambient.swing * Math.sin((2 * Math.PI * (localHour(t, where.point[0]) - 9)) / 24);
  const b = m.breach;
  return b && b.kind === 'TEMPERATURE_ANOMALY' ? air + anomaly(b, t) : air;
}

/** What a TEMPERATURE_ANOMALY adds to the air of the box at time t. */
function anomaly(b: Extract<Breach, { kind: 'TEMPERATURE_ANOMALY' }>, t: number): number {
  const u = t - b.start;
  if (u <= 0) return 0;
  if (b.variant === 'reefer') {
    // the controller (or the unit fighting a heat source) settles the air at a new level, still inside the band
    if (u < b.rise) return (b.deltaC * u) / b.rise;
    if (u < b.rise + b.hold) return b.deltaC;
    if (u < b.rise + b.hold + b.fall) return b.deltaC * (1 - (u - b.rise - b.hold) / b.fall);
    return 0;
  }
  // a heat source in a closed steel box: first-order warming towards ambient + deltaC, then cooling back
  const on = Math.min(u, b.hold);
  const reached = b.deltaC * (1 - Math.exp(-on / b.rise));
  return u <= b.hold ? reached : reached * Math.exp(-(u - b.hold) / b.fall);
}

function excursion(b: Extract<Breach, { kind: 'TEMPERATURE_EXCURSION' }>, t: number): number {
  const u = t - b.start;
  if (u <= 0) return 0;
  if (u < b.rise) return (b.peak * u) / b.rise;
  if (u < b.rise + b.plateau) return b.peak;
  if (u < b.rise + b.plateau + b.fall) return b.peak * (1 - (u - b.rise - b.plateau) / b.fall);
  return 0;
}

/** The spoofed GNSS position during a LOCATION_JUMP. */
function spoofedAt(b: Extract<Breach, { kind: 'LOCATION_JUMP' }>, t: number): LonLat {
  return destination(b.anchor, b.fakeHeading, (b.fakeKn * 1.852 * (t - b.from)) / 3_600_000);
}

/**
 * Everything the device measures, in true-time order, stamped with the
 * device's (skewed) clock.
 */
export function generateReadings(m: ContainerModel, rng: Rng): TrueReading[] {
  const out: TrueReading[] = [];
  const d = m.device;
  const { first, last } = m;
  const b = m.breach;
  const skew = Math.round(d.skewMs);
  let lastHeading = rng.uniform(0, 360);

  const fix = (tt: number): void => {
    const w = whereAt(m, tt);
    if (b && b.kind === 'LOCATION_JUMP' && tt >= b.from && tt < b.to) {
      const p = spoofedAt(b, tt);
      // spoofed signals look clean: low dilution, steady course
      const hdop = rng.uniform(0.6, 1.0);
      const q = offsetMetres(p, rng.normal(0, hdop * 3), rng.normal(0, hdop * 3));
      const r: TrueReading = { tt, ts: tt + skew, kind: 'gps', lat: q[1], lon: q[0], hdop, spoofed: true };
      if (d.reportsSpeed) {
        r.speedKn = Math.max(0, b.fakeKn + rng.normal(0, 0.2));
        r.headingDeg = (b.fakeHeading + rng.normal(0, 1) + 360) % 360;
      }
      out.push(r);
      return;
    }
    const hdop = Math.max(0.7, Math.min(2.5, rng.normal(d.hdopMean, 0.25)));
    // horizontal error grows with the dilution of precision: metres to a few tens of metres
    const q = offsetMetres(w.point, rng.normal(0, hdop * 4), rng.normal(0, hdop * 4));
    const r: TrueReading = { tt, ts: tt + skew, kind: 'gps', lat: q[1], lon: q[0], hdop };
    if (d.reportsSpeed) {
      if (w.stopped) {
        // moored or in a yard: Doppler noise only; anchored or holding position at sea: the slow wander too
        r.speedKn = Math.abs(w.speedKn + rng.normal(0, 0.12));
        lastHeading = (lastHeading + rng.normal(0, 60) + 360) % 360; // course over ground is noise at rest
        r.headingDeg = lastHeading;
      } else {
        r.speedKn = Math.max(0, w.speedKn + rng.normal(0, 0.15));
        lastHeading = (w.heading + rng.normal(0, 1.5) + 360) % 360;
        r.headingDeg = lastHeading;
      }
    }
    out.push(r);
  };

  // position fixes: periodic, plus one right after every door change (event-triggered)
  for (let t = first + rng.uniform(0, d.gpsEveryMs); t <= last; t += d.gpsEveryMs * rng.uniform(0.9, 1.1)) fix(Math.round(t));
  for (const o of m.doorOpen) {
    for (const edge of [o.from, o.to]) {
      const t = Math.round(edge + rng.uniform(5_000, 25_000));
      if (t >= first && t <= last) fix(t);
    }
  }

  // door: a heartbeat of the current state, plus every change when it happens
  const doorEdges = new Set<number>();
  for (const o of m.doorOpen) {
    if (o.from >= first && o.from <= last) {
      out.push({ tt: o.from, ts: o.from + skew, kind: 'door', open: true });
      doorEdges.add(o.from);
    }
    if (o.to >= first && o.to <= last) {
      out.push({ tt: o.to, ts: o.to + skew, kind: 'door', open: false });
      doorEdges.add(o.to);
    }
  }
  out.push({ tt: first, ts: first + skew, kind: 'door', open: isDoorOpen(m, first) });
  for (let t = first + d.doorEveryMs * rng.uniform(0.3, 1); t <= last; t += d.doorEveryMs * rng.uniform(0.8, 1.2)) {
    const tt = Math.round(t);
    if (!doorEdges.has(tt)) out.push({ tt, ts: tt + skew, kind: 'door', open: isDoorOpen(m, tt) });
  }

  // light: periodic, on door changes, and every 5 min while light is sensed in a closed box
  const lightAt = (tt: number): number => {
    const w = whereAt(m, tt);
    const day = isDaylight(tt, w.point[0]);
    if (isDoorOpen(m, tt)) return day ? Math.exp(rng.uniform(Math.log(400), Math.log(12_000))) : rng.uniform(20, 180);
    if (b && b.kind === 'LIGHT_WITH_DOOR_CLOSED' && tt >= b.from && tt < b.to) {
      return day ? Math.exp(rng.uniform(Math.log(150), Math.log(2000))) : rng.uniform(30, 300);
    }
    // a closed steel box: dark, a few lux of leakage past the seals by day
    if (day && rng.chance(0.35)) return rng.uniform(0.3, 5);
    return rng.uniform(0, 0.3);
  };
  const lightTimes: number[] = [];
  for (let t = first + rng.uniform(0, d.lightEveryMs); t <= last; t += d.lightEveryMs * rng.uniform(0.9, 1.1)) lightTimes.push(Math.round(t));
  for (const o of m.doorOpen) for (const edge of [o.from, o.to]) lightTimes.push(Math.round(edge + rng.uniform(5_000, 30_000)));
  if (b && b.kind === 'LIGHT_WITH_DOOR_CLOSED') {
    for (let t = b.from; t < b.to; t += 5 * 60_000) lightTimes.push(t);
    lightTimes.push(b.to);
  }
  for (const tt of lightTimes) if (tt >= first && tt <= last) out.push({ tt, ts: tt + skew, kind: 'light', lux: lightAt(tt) });

  // temperature
  for (let t = first + rng.uniform(0, d.tempEveryMs); t <= last; t += d.tempEveryMs * rng.uniform(0.9, 1.1)) {
    const tt = Math.round(t);
    const w = whereAt(m, tt);
    const noise = m.reefer ? Math.max(-0.3, Math.min(0.3, rng.normal(0, 0.12))) : rng.normal(0, 0.3);
    const r: TrueReading = { tt, ts: tt + skew, kind: 'temp', celsius: Math.max(-59, Math.min(79, temperatureAt(m, tt, w) + noise)) };
    if (m.reefer) r.setpointC = m.reefer.setpointC;
    out.push(r);
  }

  // a location gap: GNSS jammed or shielded (no fix, the rest goes on), or the whole device silenced
  let kept = out;
  if (b && b.kind === 'LOCATION_GAP') {
    const inGap = (r: TrueReading): boolean => r.tt >= b.from && r.tt < b.to && (b.variant === 'silenced' || r.kind === 'gps');
    kept = out.filter((r) => !inGap(r));
    if (b.variant === 'silenced' && b.to <= last) {
      // switched on again: a status report at once, the position once the receiver has its first fix (tens of seconds to minutes)
      const at = b.to;
      kept.push({ tt: at, ts: at + skew, kind: 'door', open: isDoorOpen(m, at) });
      const tt = Math.round(at + rng.uniform(3_000, 10_000));
      const w = whereAt(m, tt);
      const noise = m.reefer ? Math.max(-0.3, Math.min(0.3, rng.normal(0, 0.12))) : rng.normal(0, 0.3);
      const temp: TrueReading = { tt, ts: tt + skew, kind: 'temp', celsius: Math.max(-59, Math.min(79, temperatureAt(m, tt, w) + noise)) };
      if (m.reefer) temp.setpointC = m.reefer.setpointC;
      kept.push(temp);
      const lt = Math.round(at + rng.uniform(3_000, 10_000));
      kept.push({ tt: lt, ts: lt + skew, kind: 'light', lux: lightAt(lt) });
      const ttff = Math.round(at + rng.uniform(40_000, 240_000));
      if (ttff <= last) {
        const before = out.length;
        fix(ttff);
        kept.push(...out.splice(before));
      }
    }
  }

  // stable sort by true time; at equal times the door goes first (it triggers the others)
  const order: Record<TrueReading['kind'], number> = { door: 0, gps: 1, light: 2, temp: 3 };
  const key = Float64Array.from(kept, (r) => r.tt * 4 + order[r.kind]);
  const idx = Array.from(kept.keys()).sort((x, y) => key[x]! - key[y]! || x - y);
  return idx.map((i) => kept[i]!);
}
