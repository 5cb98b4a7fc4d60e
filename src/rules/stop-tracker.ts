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
  /** Way on at the latest fix, knots: reported, else from the fix before it (ten minutes or more apart); null when neither. */
  wayKn: number | null;
}

type Stationary = Config['rules']['stationary'];

/** Positions judge speed only over this long at least: closer fixes are within each other's error. */
const MIN_DERIVED_MS = 10 * 60_000;

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
  // the way on at the fix before (view.wayKn still holds it), and at this one for the next call
  const prevKn = prev ? (prev.speedKn ?? view.wayKn) : null;
  view.wayKn = fix.speedKn ?? (prev !== null && fix.ts - prev.ts >= MIN_DERIVED_MS ? derivedKn(prev, fix, cfg) : null);
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
  // The positions say stationary over ten minutes or more: a reported speed of a knot or two at a quay
  // is Doppler noise off the steel around it (up to leaveSpeedKn), not way on.
  const still = prev !== null && fix.ts - prev.ts >= MIN_DERIVED_MS && (prev.speedKn === null || prev.speedKn <= cfg.leaveSpeedKn) && derivedKn(prev, fix, cfg) <= cfg.maxSpeedKn;
  const stationary = fix.speedKn !== null ? fix.speedKn <= cfg.maxSpeedKn || (still && fix.speedKn <= cfg.leaveSpeedKn) : still || (prev !== null && fix.ts > prev.ts && derivedKn(prev, fix, cfg) <= cfg.maxSpeedKn);
  if (!stationary) return;
  // Backdated only when the two fixes are in one place (an anchored ship swings within a few hundred
  // metres) and the container went no faster between them than a ship swinging at anchor.
  const onePlace = prev !== null && fix.ts > prev.ts && kmBetween(prev, fix) <= cfg.swingKm + fixErrorKm(prev, cfg) + fixErrorKm(fix, cfg) && derivedKn(prev, fix, cfg) <= cfg.maxSpeedKn / 2;
  view.stopAnchor = onePlace ? stoppedSince(prev!, prevKn, fix, cfg) : fix;
  view.inStop = true;
}

/**
 * When the stop began, seen from the fix before it and the first fix in it
 * (one place, within an anchored ship's swing): at the fix before, if that
 * one had no way on; else once the way it had (reported, or from the fix
 * before it) would have covered the distance between them (a ship making
 * 3 kn at one fix and alongside 600 m on at the next stopped some 6 min later).
 * The stop is placed where it is, at the later fix; its identity is the
 * earlier fix's event.
 */
function stoppedSince(prev: Fix, prevKn: number | null, fix: Fix, cfg: Stationary): Fix {
  if (prevKn === null || prevKn <= cfg.maxSpeedKn) return prev;
  const ts = Math.min(fix.ts, prev.ts + Math.round((kmBetween(prev, fix) / (prevKn * KM_PER_NM)) * 3_600_000));
  return { ts, lat: fix.lat, lon: fix.lon, speedKn: 0, hdop: fix.hdop, eventId: prev.eventId };
}

const KM_PER_NM = 1.852;
