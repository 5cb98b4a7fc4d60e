import { isDaylight, isDoorOpen, localHour, temperatureAt, whereAt, type Breach, type ContainerModel, type TrueReading, type Where } from './container.js';
import { inDropout } from './field.js';
import { destination, offsetMetres, type LonLat } from '../src/geo/distance.js';
import type { Rng } from './rng.js';

/**
 * Everything a container's device measures, in true-time order, stamped
 * with the device's (skewed) clock: position fixes (periodic and after every
 * door change; none in a GNSS dropout; pulled off by multipath in port),
 * door state, light (on a timer or on change), temperature.
 */

const H = 3_600_000;
const MIN = 60_000;
/** A device that sends light on change still says so every 6 h. */
const LIGHT_HEARTBEAT_MS = 6 * H;

/** The spoofed GNSS position during a LOCATION_JUMP. */
function spoofedAt(b: Extract<Breach, { kind: 'LOCATION_JUMP' }>, t: number): LonLat {
  return destination(b.anchor, b.fakeHeading, (b.fakeKn * 1.852 * (t - b.from)) / H);
}

/** In a terminal yard or on a ship alongside a berth: among cranes, stacks and quay walls. */
function inPort(w: Where, t: number): boolean {
  if (w.phase.kind === 'yard') return true;
  const s = w.phase.sailing;
  if (t <= s.departure || t >= s.arrival) return true;
  return s.stopWindows.some((sw) => sw.profile === 'berth' && t >= sw.from && t < sw.to);
}

/** How much of the day's light reaches the box: 0 at night, 1 at local noon. */
function sunFactor(t: number, lon: number): number {
  const h = localHour(t, lon);
  return h <= 6.5 || h >= 17.5 ? 0 : Math.sin((Math.PI * (h - 6.5)) / 11);
}

/** Decade of a light level: 0 below 1 lux, then 1 (1-10), 2 (10-100), ... */
function decade(lux: number): number {
  return lux < 1 ? 0 : Math.floor(Math.log10(lux)) + 1;
}

export function generateReadings(m: ContainerModel, rng: Rng): TrueReading[] {
  const out: TrueReading[] = [];
  const d = m.device;
  const { first, last } = m;
  const b = m.breach;
  const skew = Math.round(d.skewMs);
  let lastHeading = rng.uniform(0, 360);
  const mp = rng.fork('multipath');
  let burst = { left: 0, metres: 0, bearing: 0 };
  let lastPortFix = -Infinity;

  const fix = (tt: number): void => {
    // below deck or deep in a stack: no sky, no fix (the other sensors go on)
    if (inDropout(m.field, tt)) return;
    const w = whereAt(m, tt);
    if (b && b.kind === 'LOCATION_JUMP' && tt >= b.from && tt < b.to) {
      const p = spoofedAt(b, tt);
      // spoofed signals look clean: low dilution, steady course
      const hdop = rng.uniform(0.6, 1.0);
      const q = offsetMetres(p, rng.normal(0, hdop * 3), rng.normal(0, hdop * 3));
      const r: TrueReading = { tt, ts: tt + skew, kind: 'gps', lat: q[1], lon: q[0], spoofed: true };
      if (d.reportsHdop) r.hdop = hdop;
      if (d.reportsSpeed) {
        r.speedKn = Math.max(0, b.fakeKn + rng.normal(0, 0.2));
        r.headingDeg = (b.fakeHeading + rng.normal(0, 1) + 360) % 360;
      }
      out.push(r);
      return;
    }
    let hdop = Math.max(0.7, Math.min(2.5, rng.normal(d.hdopMean, 0.25)));
    // horizontal error grows with the dilution of precision: metres to a few tens of metres
    let east = rng.normal(0, hdop * 4);
    let north = rng.normal(0, hdop * 4);
    let spurious = 0;
    if (inPort(w, tt)) {
      // multipath: reflections off steel pull the fix hundreds of metres off for a few fixes in a row
      const dt = Number.isFinite(lastPortFix) ? tt - lastPortFix : d.gpsEveryMs;
      lastPortFix = tt;
      if (burst.left === 0 && mp.chance(1 - Math.exp(-dt / m.field.multipathEveryMs))) burst = { left: mp.int(3, 8), metres: mp.uniform(100, 800), bearing: mp.uniform(0, 360) };
      if (burst.left > 0) {
        burst.left--;
        const k = burst.metres * mp.uniform(0.6, 1.2);
        const br = ((burst.bearing + mp.normal(0, 25)) * Math.PI) / 180;
        east += k * Math.sin(br);
        north += k * Math.cos(br);
        hdop = mp.uniform(3, 12);
        spurious = mp.uniform(0, 2.5);
      }
    } else {
      burst.left = 0;
      lastPortFix = -Infinity;
    }
    const q = offsetMetres(w.point, east, north);
    const r: TrueReading = { tt, ts: tt + skew, kind: 'gps', lat: q[1], lon: q[0] };
    if (d.reportsHdop) r.hdop = hdop;
    if (d.reportsSpeed) {
      if (w.stopped) {
        // moored or in a yard: Doppler noise only; anchored or holding position at sea: the slow wander too
        r.speedKn = Math.abs(w.speedKn + rng.normal(0, 0.12)) + spurious;
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

  // light: periodic (or sampled and sent on change), on door changes, and every 5 min while light is sensed in a closed box
  const lightAt = (tt: number): number => {
    const w = whereAt(m, tt);
    const day = isDaylight(tt, w.point[0]);
    if (isDoorOpen(m, tt)) return day ? Math.exp(rng.uniform(Math.log(400), Math.log(12_000))) : rng.uniform(20, 180);
    if (b && b.kind === 'LIGHT_WITH_DOOR_CLOSED' && tt >= b.from && tt < b.to) {
      return day ? Math.exp(rng.uniform(Math.log(150), Math.log(2000))) : rng.uniform(30, 300);
    }
    // a closed steel box: dark; a box with vents or a worn seal lets a few lux in when the sun can reach it
    const sun = sunFactor(tt, w.point[0]);
    const exposed = w.phase.kind === 'yard' || !m.field.belowDeck;
    if (m.field.ventLeakLux > 0 && exposed && sun > 0) return Math.min(9.4, m.field.ventLeakLux * sun * rng.uniform(0.6, 1.05) + rng.uniform(0, 0.3));
    return rng.uniform(0, 0.3);
  };
  const lightTimes: number[] = [];
  for (let t = first + rng.uniform(0, d.lightEveryMs); t <= last; t += d.lightEveryMs * rng.uniform(0.9, 1.1)) lightTimes.push(Math.round(t));
  for (const o of m.doorOpen) for (const edge of [o.from, o.to]) lightTimes.push(Math.round(edge + rng.uniform(5_000, 30_000)));
  if (b && b.kind === 'LIGHT_WITH_DOOR_CLOSED') {
    for (let t = b.from; t < b.to; t += 5 * MIN) lightTimes.push(t);
    lightTimes.push(b.to);
  }
  if (d.lightOnChange) {
    // sent when the level leaves the decade of the last report by a margin (hysteresis), or as a heartbeat
    lightTimes.sort((x, y) => x - y);
    let sentDecade = -1;
    let sentAt = -Infinity;
    for (const tt of lightTimes) {
      if (tt < first || tt > last) continue;
      const lux = lightAt(tt);
      if (sentDecade < 0 || decade(lux / 1.25) > sentDecade || decade(lux * 1.25) < sentDecade || tt - sentAt >= LIGHT_HEARTBEAT_MS) {
        out.push({ tt, ts: tt + skew, kind: 'light', lux });
        sentDecade = decade(lux);
        sentAt = tt;
      }
    }
  } else for (const tt of lightTimes) if (tt >= first && tt <= last) out.push({ tt, ts: tt + skew, kind: 'light', lux: lightAt(tt) });

  // temperature
  const tempAt = (tt: number): TrueReading => {
    const w = whereAt(m, tt);
    const noise = m.reefer ? Math.max(-0.3, Math.min(0.3, rng.normal(0, 0.12))) : rng.normal(0, 0.3);
    const r: TrueReading = { tt, ts: tt + skew, kind: 'temp', celsius: Math.max(-59, Math.min(79, temperatureAt(m, tt, w) + noise)) };
    if (m.reefer) r.setpointC = m.reefer.setpointC;
    return r;
  };
  for (let t = first + rng.uniform(0, d.tempEveryMs); t <= last; t += d.tempEveryMs * rng.uniform(0.9, 1.1)) out.push(tempAt(Math.round(t)));

  // a location gap: GNSS jammed or shielded (no fix, the rest goes on), or the whole device silenced
  let kept = out;
  if (b && b.kind === 'LOCATION_GAP') {
    const inGap = (r: TrueReading): boolean => r.tt >= b.from && r.tt < b.to && (b.variant === 'silenced' || r.kind === 'gps');
    kept = out.filter((r) => !inGap(r));
    if (b.variant === 'silenced' && b.to <= last) {
      // switched on again: a status report at once, the position once the receiver has its first fix (tens of seconds to minutes)
      const at = b.to;
      kept.push({ tt: at, ts: at + skew, kind: 'door', open: isDoorOpen(m, at) });
      kept.push(tempAt(Math.round(at + rng.uniform(3_000, 10_000))));
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
