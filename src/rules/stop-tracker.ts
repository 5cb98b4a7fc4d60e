import type { Config } from '../config/schema.js';
import { kmBetween, knots } from '../geo/distance.js';
import type { Fix } from './rule.js';

/** What the engine keeps of the container's current stop (part of the view the rules read). */
export interface StopView {
  /** The first fix of the current stationary period; null while under way. */
  stopAnchor: Fix | null;
  /** The latest fix belongs to the stop of `stopAnchor` (false on a fix that may be the stop's end). */
  inStop: boolean;
  /** A fix that left the stop's radius (or reported way on), waiting for the next fix to say whether the stop ended. */
  stopOutlier: Fix | null;
}

type Stationary = Config['rules']['stationary'];

/**
 * Position error of one fix in km: GNSS is good to a few metres in open sky,
 * hdop scales it, and reflections off steel (stack yards, quays, the ship's
 * own containers) add tens to hundreds of metres. Never below 50 m.
 */
export function fixErrorKm(f: Fix, cfg: Stationary): number {
  return Math.max(0.05, (f.hdop ?? 1) * cfg.errorPerHdopKm);
}

/** Speed implied between two fixes once both fixes' position error is allowed for. */
function derivedKn(a: Fix, b: Fix, cfg: Stationary): number {
  const km = Math.max(0, kmBetween(a, b) - fixErrorKm(a, cfg) - fixErrorKm(b, cfg));
  return knots(km, b.ts - a.ts);
}

/**
 * Follows stops from fix to fix, so that a stop is found whatever the
 * device's fix interval and position noise:
 *
 * - A stop begins at a fix that is itself stationary (reported speed at most
 *   `maxSpeedKn`, or, with none reported, no faster than that since the
 *   previous fix). When the previous fix is in the same place (within an
 *   anchored ship's swing, `swingKm`), the stop began there already: a
 *   tracker that fixes every hour or two would otherwise date a stop one
 *   interval late.
 * - It lasts while fixes stay within `radiusKm` of its first fix (plus both
 *   fixes' position error) and report no way on.
 * - One fix out (a multipath outlier, a speed spike) is held as a possible
 *   end; the stop goes on if the next fix is back inside, and ended at that
 *   fix if the next one is out too.
 */
export function trackStop(view: StopView, prev: Fix | null, fix: Fix, cfg: Stationary): void {
  const anchor = view.stopAnchor;
  if (anchor) {
    const inside = kmBetween(anchor, fix) <= cfg.radiusKm + fixErrorKm(anchor, cfg) + fixErrorKm(fix, cfg);
    const underWay = fix.speedKn !== null && fix.speedKn > cfg.leaveSpeedKn;
    if (inside && !underWay) {
      view.stopOutlier = null;
      view.inStop = true;
      return;
    }
    if (view.stopOutlier === null) {
      view.stopOutlier = fix;
      view.inStop = false;
      return;
    }
    // two fixes out in a row: the stop ended at the first of them
    view.stopAnchor = null;
    view.stopOutlier = null;
  }
  view.inStop = false;
  const stationary = fix.speedKn !== null ? fix.speedKn <= cfg.maxSpeedKn : prev !== null && fix.ts > prev.ts && derivedKn(prev, fix, cfg) <= cfg.maxSpeedKn;
  if (!stationary) return;
  // backdated only when the two fixes are in one place (an anchored ship swings within a few hundred metres), not merely slow
  const sincePrev = prev !== null && fix.ts > prev.ts && (prev.speedKn === null || prev.speedKn <= cfg.maxSpeedKn) && kmBetween(prev, fix) <= cfg.swingKm + fixErrorKm(prev, cfg) + fixErrorKm(fix, cfg);
  view.stopAnchor = sincePrev ? prev : fix;
  view.inStop = true;
}
