import { kmBetween, knots } from '../geo/distance.js';
import type { Config } from '../config/schema.js';
import type { ContainerView, PrevFix } from './rule.js';

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

function positionErrorM(f: PrevFix): number {
  return Math.max(25, (f.hdop ?? 5) * 5);
}
