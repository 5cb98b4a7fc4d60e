import type { RuleContext } from './rule.js';
import type { RollingBaseline } from './rolling-baseline.js';
import { pushBounded, sortPrefix } from './bounded-list.js';

/**
 * The erratic half of TEMPERATURE_ANOMALY: a reefer's controller holds the air
 * within a few tenths of a degree from one reading to the next; swings of one
 * or two degrees every reading while the mean stays in the band mean the unit
 * is failing, cycling off and on, or being tampered with (the machinery
 * space is a classic hiding place). Measured as the median step between
 * successive readings over the last few readings, against the container's own
 * usual step; a defrost makes two large steps (up, then down) and so moves
 * the median of the window's steps (seven, by default) not at all.
 */
export interface ErraticEpisode {
  startTs: number;
  startEventId: string;
  peakSpreadC: number;
  thresholdC: number;
  baseSpreadC: number;
  lowC: number;
  highC: number;
  /** Consecutive windows below the holding level: the episode ends past MAX_CALM. */
  calm: number;
  raised: boolean;
  evidence: string[];
}

/** The last few readings in measurement order: times, values and event ids, oldest first. */
export interface RecentWindow {
  ts: number[];
  c: number[];
  ids: string[];
}

type Cfg = RuleContext['rules']['temperatureAnomaly'];

/**
 * Adds the newest reading; a full window (`size` readings, or more if the
 * size was lowered since) drops its oldest. Each array is a bounded list
 * (bounded-list.ts): copied once, when it first fills, to exactly `size`
 * elements, and moved along in place after.
 */
export function pushRecent(w: RecentWindow, ts: number, c: number, id: string, size: number): void {
  w.ts = pushBounded(w.ts, ts, size);
  w.c = pushBounded(w.c, c, size);
  w.ids = pushBounded(w.ids, id, size);
}

/** Scratch for medianStep, sorted natively (no comparator called per pair): the window's values, then its steps. */
let scratch = new Float64Array(16);
const HOLD = 0.75;
const MAX_CALM = 2;
/** A defrost lifts the air by 2-6 °C for 20-40 min: a reading this far above the window's median may be one. */
const DEFROST_LIFT_C = 1.5;

/**
 * The lower median of the steps between successive readings of the window,
 * a defrost taken out first: one or two readings well above the rest and
 * none well below are the coil being heated, not the unit losing control.
 */
export function medianStep(w: RecentWindow): number {
  const c = w.c;
  const n = c.length;
  if (scratch.length < n) scratch = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) scratch[i] = c[i]!;
  // (-0 sorts before 0: the median is only subtracted from below, where either zero gives the same differences)
  sortPrefix(scratch, n);
  const mid = scratch[(n - 1) >> 1]!;
  let above = 0;
  let below = 0;
  for (const x of c) {
    if (x - mid >= DEFROST_LIFT_C) above++;
    else if (mid - x >= DEFROST_LIFT_C) below++;
  }
  const defrost = below === 0 && above > 0 && above <= 2;
  let m = 0;
  let prev = NaN;
  for (const x of c) {
    if (defrost && x - mid >= DEFROST_LIFT_C) continue;
    if (!Number.isNaN(prev)) scratch[m++] = Math.abs(x - prev);
    prev = x;
  }
  sortPrefix(scratch, m);
  return scratch[(m - 1) >> 1]!;
}

/**
 * Updates the episode with the window ending at the newest reading; returns
 * the episode (null when there is none) and whether it should be raised now.
 */
export function judgeErratic(ep: ErraticEpisode | null, w: RecentWindow, history: RollingBaseline | null, setpointC: number, cfg: Cfg): Judged {
  const n = w.ts.length;
  if (n < cfg.erraticReadings || w.ts[n - 1]! - w.ts[0]! > cfg.erraticMaxWindowMs) return ep === null ? NOTHING : { episode: ep, raise: false };
  // A window whose readings all lie within the least spread of each other holds no step that large
  // and no swing (which needs readings that far off on both sides): nothing, without sorting
  // (a controlled reefer's every reading; the same answer the sorts below would give).
  if (ep === null && rangeOf(w.c) < cfg.erraticMinSpreadC) return NOTHING;
  const spread = medianStep(w);
  const swinging = swingsBothWays(w, setpointC, cfg.erraticMinSpreadC);
  if (!swinging && spread < cfg.erraticMinSpreadC && ep === null) return NOTHING;
  const base = ep ? ep.baseSpreadC : history && history.size >= cfg.erraticReadings ? history.successiveSpread() : 0;
  const threshold = ep ? ep.thresholdC : Math.max(cfg.erraticMinSpreadC, cfg.erraticFactor * base);
  // Hysteresis: an episode starts at the threshold and holds while the step stays above 3/4 of it;
  // a few calm windows in a row end it (erratic data has calm stretches by chance).
  if (!swinging && spread < (ep ? HOLD * threshold : threshold)) {
    if (!ep) return NOTHING;
    ep.calm++;
    // once raised, only a whole window of calm readings ends it, so one anomaly is one alert
    return { episode: ep.calm > (ep.raised ? cfg.erraticReadings : MAX_CALM) ? null : ep, raise: false };
  }
  if (!ep) {
    // the episode began at the first reading that stepped that far from the one before it, or stood that far off the setpoint
    let first = 1;
    while (first < n - 1 && Math.abs(w.c[first]! - w.c[first - 1]!) < threshold && Math.abs(w.c[first]! - setpointC) < cfg.erraticMinSpreadC) first++;
    ep = { startTs: w.ts[first]!, startEventId: w.ids[first]!, peakSpreadC: spread, thresholdC: threshold, baseSpreadC: base, lowC: Infinity, highC: -Infinity, calm: 0, raised: false, evidence: [] };
    for (let i = first; i < n; i++) note(ep, w.c[i]!, w.ids[i]!);
  } else note(ep, w.c[n - 1]!, w.ids[n - 1]!);
  ep.calm = 0;
  ep.peakSpreadC = Math.max(ep.peakSpreadC, spread);
  const raise = !ep.raised && w.ts[n - 1]! - ep.startTs >= cfg.erraticSustainMs;
  if (raise) ep.raised = true;
  return { episode: ep, raise };
}

/** judgeErratic's answer: the episode after this window (null when there is none), and whether to raise it now. */
export interface Judged {
  readonly episode: ErraticEpisode | null;
  readonly raise: boolean;
}
/** No episode, nothing to raise: one answer shared by every call that gives it (not an object per reading). */
export const NOTHING: Judged = Object.freeze({ episode: null, raise: false });

/**
 * The largest value less the smallest. Every step between two of the values
 * is at most this (as doubles too: a difference rounds monotonically), so
 * under the least spread no median step reaches it; and a swing needs values
 * that far above and below the setpoint, twice that apart.
 */
function rangeOf(c: readonly number[]): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < c.length; i++) {
    const x = c[i]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return hi - lo;
}

/**
 * Most readings of the window a degree or more off the setpoint, at least two
 * on each side: a unit swinging between too warm and too cold, whose steps
 * may be small when it stays on one side for a reading or two. A defrost is
 * on one side only; so is a shift of level (the level detector's).
 */
function swingsBothWays(w: RecentWindow, setpointC: number, offC: number): boolean {
  let high = 0;
  let low = 0;
  for (const c of w.c) {
    if (c - setpointC >= offC) high++;
    else if (setpointC - c >= offC) low++;
  }
  return high >= 2 && low >= 2 && (high + low) * 10 >= 6 * w.c.length;
}

function note(ep: ErraticEpisode, c: number, id: string): void {
  ep.lowC = Math.min(ep.lowC, c);
  ep.highC = Math.max(ep.highC, c);
  if (ep.evidence.length < 20) ep.evidence.push(id);
}
