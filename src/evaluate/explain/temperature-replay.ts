import { RollingBaseline } from '../../rules/rolling-baseline.js';
import { judgeErratic, pushRecent, type ErraticEpisode, type RecentWindow } from '../../rules/temperature-erratic.js';
import { reeferBand } from '../../rules/temperature-excursion.js';
import { contextAt, type ProbeInput } from './probe.js';
import type { Step } from './trace.js';

/** A level episode as the rule keeps it: a reefer's shift from its median, or a dry box's beyond the range of its last day. */
export interface LevelEpisode {
  startTs: number;
  count: number;
  lastTs: number;
  peakC: number;
  /** Reefer: the baseline median; dry box: the edge of the range it left. */
  baseline: number;
  /** Reefer: the threshold at the start; dry box: minDeltaDryC. */
  thresholdC: number;
}

/** How the rule judged a reefer's level at one reading. */
export interface ReeferLevel {
  kind: 'reefer';
  base: number;
  sigma: number;
  threshold: number;
  dev: number;
  size: number;
  span: number;
}
/** ... and a dry box's: its last day's range, how far beyond it, how fast it changed. */
export interface DryLevel {
  kind: 'dry';
  lo: number;
  hi: number;
  dev: number;
  rate: number;
  full: boolean;
  size: number;
  span: number;
}

/** The erratic detector's view of a reefer's window at one reading. */
export interface ErraticView {
  /** The window holds erraticReadings readings within erraticMaxWindowMs. */
  full: boolean;
  /** The rule judged it (not a reading just outside the band with no episode on). */
  judged: boolean;
  spread: number;
  high: number;
  low: number;
  n: number;
  threshold: number;
  usual: number;
  episode: ErraticEpisode | null;
  /** The episode's calm windows in a row at this reading (0: over the holding level). */
  calm: number;
}

/**
 * One temperature reading the rules evaluated, and what TEMPERATURE_ANOMALY
 * made of it: `excursion` (twice the tolerance off: the excursion rule's
 * alone, everything forgotten), `edge` (just outside the band: the erratic
 * window only), `erratic` (an erratic episode on: kept out of the level),
 * `short` (baseline too short to judge), `judged`.
 */
export interface TempRecord {
  step: Step;
  ts: number;
  c: number;
  band: { setpointC: number; toleranceC: number } | null;
  fate: 'excursion' | 'edge' | 'erratic' | 'short' | 'judged';
  level: ReeferLevel | DryLevel | null;
  episode: LevelEpisode | null;
  erratic: ErraticView | null;
  /** The baseline's size and span at this reading (for `short`). */
  size: number;
  span: number;
}

const HOUR_MS = 3_600_000;
/** As temperature-erratic.ts: a reading this far above the window's median may be a defrost. */
const DEFROST_LIFT_C = 1.5;

/**
 * Walks a container's temperature readings as TEMPERATURE_ANOMALY does (per
 * trip, learning from the yard days, its rolling baseline trimmed to
 * baselineMs and kept free of anomalous and erratic readings), running the
 * rule's own erratic detector, and records each evaluated reading.
 */
export function replayAnomaly(input: ProbeInput): TempRecord[] {
  const cfg = input.rules.temperatureAnomaly;
  const out: TempRecord[] = [];
  let trip: string | null | undefined;
  let baseline = new RollingBaseline();
  let level: LevelEpisode | null = null;
  let recent: RecentWindow | null = null;
  let erratic: ErraticEpisode | null = null;
  let prevTs = NaN;
  let prevC = NaN;
  const trim = (ts: number) => baseline.trim(ts - cfg.baselineMs, cfg.maxBaselineReadings);
  for (const s of input.trace.steps) {
    const r = s.reading;
    if (r.tripId !== trip) {
      trip = r.tripId;
      baseline = new RollingBaseline();
      level = null;
      recent = null;
      erratic = null;
      prevTs = prevC = NaN;
    }
    if (r.kind !== 'temperature') continue;
    const band = reeferBand(contextAt(s, input), r.setpointC);
    const off = band ? Math.abs(r.celsius - band.setpointC) : 0;
    if (!s.active) {
      if (!s.plan || r.ts >= s.plan.departure || (band && off > band.toleranceC)) continue;
      trim(r.ts);
      baseline.push(r.ts, r.celsius);
      prevTs = r.ts;
      prevC = r.celsius;
      continue;
    }
    const rec: TempRecord = { step: s, ts: r.ts, c: r.celsius, band, fate: 'judged', level: null, episode: null, erratic: null, size: 0, span: 0 };
    out.push(rec);
    if (band && off > 2 * band.toleranceC) {
      level = erratic = recent = null;
      rec.fate = 'excursion';
      continue;
    }
    if (band) {
      const w = (recent ??= { ts: [], c: [], ids: [] });
      pushRecent(w, r.ts, r.celsius, r.eventId, cfg.erraticReadings);
      const judged = !(off > band.toleranceC && !erratic);
      const usual = baseline.size >= cfg.erraticReadings ? baseline.successiveSpread() : 0;
      if (judged) erratic = judgeErratic(erratic, w, baseline, band.setpointC, cfg).episode;
      const n = w.ts.length;
      const swing = swingCounts(w.c, band.setpointC, cfg.erraticMinSpreadC);
      rec.erratic = {
        full: n >= cfg.erraticReadings && w.ts[n - 1]! - w.ts[0]! <= cfg.erraticMaxWindowMs,
        judged,
        spread: medianStep(w.c),
        ...swing,
        n,
        threshold: erratic ? erratic.thresholdC : Math.max(cfg.erraticMinSpreadC, cfg.erraticFactor * usual),
        usual: erratic ? erratic.baseSpreadC : usual,
        episode: erratic,
        calm: erratic ? erratic.calm : 0,
      };
      if (off > band.toleranceC) {
        rec.fate = 'edge';
        continue;
      }
    }
    trim(r.ts);
    if (erratic) {
      rec.fate = 'erratic';
      continue;
    }
    rec.size = baseline.size;
    rec.span = baseline.size ? r.ts - baseline.oldestTs() : 0;
    if (!band) {
      const [pTs, pC] = [prevTs, prevC];
      prevTs = r.ts;
      prevC = r.celsius;
      if (rec.size < cfg.erraticReadings / 2 || rec.span < HOUR_MS) {
        rec.fate = 'short';
        baseline.push(r.ts, r.celsius);
        continue;
      }
      const full = rec.size >= cfg.minBaselineReadings && rec.span >= cfg.minBaselineSpanDryMs;
      const [lo, hi] = [baseline.min(), baseline.max()];
      const dev: number = level ? r.celsius - level.baseline : r.celsius > hi ? r.celsius - hi : r.celsius < lo ? r.celsius - lo : 0;
      const rate = Number.isFinite(pTs) && r.ts > pTs ? Math.abs(r.celsius - pC) / ((r.ts - pTs) / HOUR_MS) : 0;
      rec.level = { kind: 'dry', lo, hi, dev, rate, full, size: rec.size, span: rec.span };
      const holding = level !== null && Math.sign(dev) === Math.sign(level.peakC - level.baseline) && Math.abs(dev) >= 0.6 * cfg.minDeltaDryC;
      const starting = !level && Math.abs(dev) >= cfg.minDeltaDryC && (full || rate >= cfg.dryMaxRateCPerHour);
      if (!holding && !starting) {
        level = null;
        baseline.push(r.ts, r.celsius);
        continue;
      }
      level ??= { startTs: r.ts, count: 0, lastTs: r.ts, peakC: r.celsius, baseline: dev > 0 ? hi : lo, thresholdC: cfg.minDeltaDryC };
    } else {
      if (rec.size < cfg.minBaselineReadings || rec.span < cfg.minBaselineSpanReeferMs) {
        rec.fate = 'short';
        baseline.push(r.ts, r.celsius);
        continue;
      }
      const base: number = level ? level.baseline : baseline.median();
      const sigma = level ? NaN : Math.max(cfg.minSigmaC, 1.4826 * baseline.medianAbsoluteDeviation(base));
      const threshold: number = level ? level.thresholdC : Math.max(cfg.robustZ * sigma, cfg.minDeltaReeferC);
      const dev = r.celsius - base;
      rec.level = { kind: 'reefer', base, sigma, threshold, dev, size: rec.size, span: rec.span };
      // the rule's hysteresis: an episode starts at the threshold and holds above 60 % of it
      const holding = level !== null && Math.sign(dev) === Math.sign(level.peakC - level.baseline) && Math.abs(dev) >= 0.6 * threshold;
      if (!holding && Math.abs(dev) < threshold) {
        level = null;
        baseline.push(r.ts, r.celsius);
        continue;
      }
      level ??= { startTs: r.ts, count: 0, lastTs: r.ts, peakC: r.celsius, baseline: base, thresholdC: threshold };
    }
    level.count++;
    level.lastTs = r.ts;
    if (Math.abs(r.celsius - level.baseline) > Math.abs(level.peakC - level.baseline)) level.peakC = r.celsius;
    rec.episode = level;
  }
  return out;
}

/**
 * The lower median of the steps between successive readings, a defrost taken
 * out first (one or two readings well above the rest, none well below), as
 * the rule's erratic detector measures it.
 */
export function medianStep(c: readonly number[]): number {
  if (c.length < 2) return 0;
  const mid = [...c].sort((a, b) => a - b)[(c.length - 1) >> 1]!;
  const above = c.filter((x) => x - mid >= DEFROST_LIFT_C).length;
  const below = c.filter((x) => mid - x >= DEFROST_LIFT_C).length;
  const kept = below === 0 && above > 0 && above <= 2 ? c.filter((x) => x - mid < DEFROST_LIFT_C) : c;
  const steps = kept
    .slice(1)
    .map((x, i) => Math.abs(x - kept[i]!))
    .sort((a, b) => a - b);
  return steps.length ? steps[(steps.length - 1) >> 1]! : 0;
}

/** Readings a degree (erraticMinSpreadC) or more above and below the setpoint: two each side and 60 % of the window swing both ways. */
function swingCounts(c: readonly number[], setpointC: number, offC: number): { high: number; low: number } {
  let high = 0;
  let low = 0;
  for (const x of c) {
    if (x - setpointC >= offC) high++;
    else if (setpointC - x >= offC) low++;
  }
  return { high, low };
}
