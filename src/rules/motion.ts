import { greatCircleKm } from './geo-index.js';
import type { Config } from '../config/schema.js';
import type { ContainerView, Fix } from './rule.js';

const KM_PER_NM = 1.852;

export function kmBetween(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  return greatCircleKm(a.lat, a.lon, b.lat, b.lon);
}

/** Knots implied by covering `km` in `ms`. */
export function knots(km: number, ms: number): number {
  return ms > 0 ? km / KM_PER_NM / (ms / 3_600_000) : Infinity;
}

/**
 * Speed over ground at the latest fix: the device's own figure when it sent
 * one (GNSS Doppler, good to a few tenths of a knot), otherwise derived from
 * the last two fixes when they are far enough apart in time that position
 * error (hdop x ~5 m, at least 25 m per fix) cannot pass for motion.
 */
export function speedAtFix(view: ContainerView, cfg: Config['rules']['doorOpen']): { speedKn: number; source: 'reported' | 'derived' } | null {
  const fix = view.fix;
  if (!fix) return null;
  if (fix.speedKn !== null) return { speedKn: fix.speedKn, source: 'reported' };
  const prev = view.prevFix;
  if (!prev) return null;
  const dt = fix.ts - prev.ts;
  if (dt < cfg.derivedSpeedMinIntervalMs || dt > cfg.fixMaxAgeMs) return null;
  const errKm = (positionErrorM(fix) + positionErrorM(prev)) / 1000;
  const km = Math.max(0, kmBetween(prev, fix) - errKm);
  return { speedKn: knots(km, dt), source: 'derived' };
}

function positionErrorM(f: Fix): number {
  return Math.max(25, (f.hdop ?? 5) * 5);
}
