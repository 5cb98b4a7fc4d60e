import { RollingBaseline } from '../../rules/rolling-baseline.js';
import { judgeErratic, pushRecent, type ErraticEpisode, type RecentWindow } from '../../rules/temperature-erratic.js';
import { reeferBand } from '../../rules/temperature-excursion.js';
import { contextAt, dur, inWindow, result, when, type ProbeInput, type ProbeResult } from './probe.js';
import type { Step } from './trace.js';

/**
 * The erratic half of TEMPERATURE_ANOMALY, for reefers: the rule's own
 * detector (judgeErratic) run over the container's in-band readings, each
 * trip afresh and the window emptied when a reading leaves the band, as the
 * rule does. The usual step is taken from the baseline of the baselineMs
 * before the window (where the rule keeps updating its own). Reported: the
 * largest median step over windows of erraticReadings readings (spanning at
 * most erraticMaxWindowMs) ending in the window, against
 * max(erraticMinSpreadC, erraticFactor x the usual step), and how long an
 * episode starting in the window held. Score: held / erraticSustainMs for
 * such an episode, else the largest median step / that threshold. Null for a
 * dry box (its air follows the weather: only its level is judged).
 */
export function erraticFinding(input: ProbeInput): ProbeResult | null {
  const rule = 'TEMPERATURE_ANOMALY';
  const cfg = input.rules.temperatureAnomaly;
  const temps = input.trace.steps.filter((s) => s.reading.kind === 'temperature');
  const band = (s: Step) => reeferBand(contextAt(s, input), s.reading.kind === 'temperature' ? s.reading.setpointC : undefined);
  const celsius = (s: Step) => (s.reading.kind === 'temperature' ? s.reading.celsius : NaN);
  const last = temps[temps.length - 1];
  if (!last || !band(last)) return null;
  const inBand = (s: Step) => {
    const b = band(s);
    return b !== null && Math.abs(celsius(s) - b.setpointC) <= b.toleranceC;
  };
  const history = new RollingBaseline();
  for (const s of temps.filter((s) => s.reading.ts < input.from && s.reading.ts >= input.from - cfg.baselineMs && inBand(s)).slice(-cfg.maxBaselineReadings)) history.push(s.reading.ts, celsius(s));
  const usual = history.size >= cfg.erraticReadings ? history.successiveSpread() : 0;
  const threshold = Math.max(cfg.erraticMinSpreadC, cfg.erraticFactor * usual);
  const thresholdText = (t: number, u: number) => `threshold ${t.toFixed(1)} °C = max(erraticMinSpreadC ${cfg.erraticMinSpreadC}, erraticFactor ${cfg.erraticFactor} x usual step ${u.toFixed(2)} °C)`;

  let w: RecentWindow = { ts: [], c: [], ids: [] };
  let ep: ErraticEpisode | null = null;
  let trip: string | null = null;
  let largest: { step: number; at: number } | null = null;
  let windows = 0;
  /** Per episode: how long it held (its last window over the holding level, from its start). */
  const held = new Map<ErraticEpisode, number>();
  for (const s of temps) {
    if (!s.active || s.reading.ts > input.to) continue;
    if (s.reading.tripId !== trip) {
      trip = s.reading.tripId;
      w = { ts: [], c: [], ids: [] };
      ep = null;
    }
    if (!inBand(s)) {
      // the excursion rule's domain: the rule forgets its window and episode
      w = { ts: [], c: [], ids: [] };
      ep = null;
      continue;
    }
    pushRecent(w, s.reading.ts, celsius(s), s.reading.eventId, cfg.erraticReadings);
    const n = w.ts.length;
    const full = n >= cfg.erraticReadings && w.ts[n - 1]! - w.ts[0]! <= cfg.erraticMaxWindowMs;
    if (full && inWindow(s.reading.ts, input)) {
      windows++;
      const step = medianStep(w.c);
      if (!largest || step > largest.step) largest = { step, at: s.reading.ts };
    }
    ep = judgeErratic(ep, w, history, band(s)!.setpointC, cfg).episode;
    if (full && ep && ep.calm === 0) held.set(ep, w.ts[n - 1]! - ep.startTs);
  }
  let best: { ep: ErraticEpisode; held: number } | null = null;
  let before: { ep: ErraticEpisode; held: number } | null = null;
  for (const [e, h] of held) {
    if (inWindow(e.startTs, input)) {
      if (!best || h > best.held) best = { ep: e, held: h };
    } else if (e.startTs < input.from && e.startTs + h >= input.from) before = { ep: e, held: h };
  }
  const earlier = before ? `; an erratic spell from ${when(before.ep.startTs)}, before the window, held ${dur(before.held)}` : '';
  if (best) {
    const e = best.ep;
    return result(rule, best.held / cfg.erraticSustainMs, `median step up to ${e.peakSpreadC.toFixed(1)} °C over ${cfg.erraticReadings} readings from ${when(e.startTs)}, between ${e.lowC.toFixed(1)} and ${e.highC.toFixed(1)} °C (${thresholdText(e.thresholdC, e.baseSpreadC)}); held ${dur(best.held)} (erraticSustainMs ${dur(cfg.erraticSustainMs)}; held while over 3/4 of the threshold)${earlier}`, e.startTs);
  }
  if (!largest) return result(rule, 0, `never ${cfg.erraticReadings} in-band readings within erraticMaxWindowMs ${dur(cfg.erraticMaxWindowMs)} in the window: not judged erratic${earlier}`);
  return result(rule, largest.step / threshold, `largest median step ${largest.step.toFixed(1)} °C over ${cfg.erraticReadings} readings to ${when(largest.at)} (of ${windows} windows), under the ${thresholdText(threshold, usual)}${history.size < cfg.erraticReadings ? ` (usual step 0: fewer than ${cfg.erraticReadings} readings before the window)` : ''}${earlier}`, largest.at);
}

/** The lower median of the steps between successive values, as the rule takes it. */
function medianStep(c: readonly number[]): number {
  const steps: number[] = [];
  for (let i = 1; i < c.length; i++) steps.push(Math.abs(c[i]! - c[i - 1]!));
  steps.sort((a, b) => a - b);
  return steps[(steps.length - 1) >> 1]!;
}
