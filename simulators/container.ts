import type { Port } from '../src/geo/ports.js';
import type { WireFormat } from './encoders.js';
import type { FieldCharacter } from './field.js';
import type { LonLat } from '../src/geo/distance.js';
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

export type Phase = { kind: 'yard'; from: number; to: number; port: Port; point: LonLat } | { kind: 'ship'; from: number; to: number; sailing: Sailing };

export type Breach =
  | { kind: 'DOOR_OPEN_IN_TRANSIT'; from: number; to: number }
  /**
   * The door is opened (from) and closed again (to) while the ship is stopped (stoppedAt..leftAt) outside
   * every authorised zone: alongside at an unplanned call (`port`), or at a stop off a port or at sea (port null).
   */
  | { kind: 'DOOR_OPEN_UNAUTHORISED_LOCATION' | 'RIP_ON_RIP_OFF'; from: number; to: number; port: Port | null; stoppedAt: number; leftAt: number }
  | { kind: 'LIGHT_WITH_DOOR_CLOSED'; from: number; to: number }
  | { kind: 'TEMPERATURE_EXCURSION'; start: number; rise: number; plateau: number; fall: number; peak: number; from: number; to: number }
  | { kind: 'LOCATION_JUMP'; from: number; to: number; anchor: LonLat; fakeHeading: number; fakeKn: number }
  /** The ship leaves the planned route at leftRouteAt, strays up to offKm off it, is back on it at rejoinedAt; `route` is the plan's. */
  | { kind: 'ROUTE_DEVIATION'; from: number; to: number; route: LonLat[]; offKm: number }
  /** The ship stops at sea or off a coast (anchored or holding position); offPort: at an unofficial anchorage 25-70 km off a planned port. */
  | { kind: 'UNSCHEDULED_STOP'; from: number; to: number; point: LonLat; anchored: boolean; offPort: boolean }
  /** jammed: no GNSS fix in [from, to), other readings go on; silenced: no reading at all in [from, to), then a power-on report. */
  | { kind: 'LOCATION_GAP'; variant: 'jammed' | 'silenced'; from: number; to: number }
  /**
   * reefer: the air moves deltaC (inside the band) over `rise`, stays `hold`, comes back over `fall` (linear ramps);
   * dry: a heat source on from `start` for `hold`, the air approaching ambient + deltaC with time constant `rise`
   * and cooling back with time constant `fall` once it is off; deltaC puts the air aboveRangeC over the box's own
   * range of the previous day (set once the box's ambient character is known);
   * erratic: a reefer's air swings round its setpoint from `start` for `hold` (`swing`), the mean staying in the band.
   */
  | { kind: 'TEMPERATURE_ANOMALY'; variant: 'reefer' | 'dry' | 'erratic'; start: number; rise: number; hold: number; fall: number; deltaC: number; aboveRangeC: number; from: number; to: number; swing?: Swing };

/**
 * A failing (or tampered) reefer controller hunting round its setpoint: the air overshoots one way, then the
 * other, every 20-50 min, so every reading lands loC-hiC off the setpoint, on either side.
 */
export interface Swing {
  loC: number;
  hiC: number;
  periodMs: number;
  /** A second, faster term that varies how far each overshoot goes. */
  period2Ms: number;
  phase: number;
  phase2: number;
}

export interface DeviceProfile {
  format: WireFormat;
  gpsEveryMs: number;
  reportsSpeed: boolean;
  /** Whether fixes carry hdop (json-v1 only). */
  reportsHdop: boolean;
  hdopMean: number;
  doorEveryMs: number;
  /** Light: the period of the reports, or (lightOnChange) of the samples the device compares. */
  lightEveryMs: number;
  /** Light is sent when its level changes decade (and every 6 h), not on a timer. */
  lightOnChange: boolean;
  tempEveryMs: number;
  /** Constant offset of the device clock from true time (ms). */
  skewMs: number;
  /** Share of messages the device sends twice. */
  duplicateShare: number;
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
  /** Vent leaks, stowage, GNSS dropouts, multipath (field.ts). */
  field: FieldCharacter;
  /** A store-and-forward gap over the breach (true time): what the device measured in it arrives when the link is back. */
  backlog: { from: number; to: number } | null;
}

/**
 * A reading as generated: the true measurement time `tt`, the device's own
 * timestamp `ts` (true time plus the device clock skew) and the values; a
 * SimReading the encoders take as it is. `spoofed` marks GNSS fixes of a
 * LOCATION_JUMP.
 */
export type TrueReading =
  | { tt: number; ts: number; kind: 'door'; open: boolean }
  | { tt: number; ts: number; kind: 'gps'; lat: number; lon: number; speedKn?: number; headingDeg?: number; hdop?: number; spoofed?: boolean }
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

export function localHour(t: number, lon: number): number {
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
  if (b.variant === 'erratic') {
    const w = b.swing!;
    if (u >= b.hold) return 0;
    const side = Math.sin((2 * Math.PI * u) / w.periodMs + w.phase) >= 0 ? 1 : -1;
    return side * (w.loC + (w.hiC - w.loC) * Math.abs(Math.sin((2 * Math.PI * u) / w.period2Ms + w.phase2)));
  }
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
