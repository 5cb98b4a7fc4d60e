import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { reeferBand } from '../../rules/temperature-excursion.js';
import { contextAt, dur, inWindow, result, when, type Probe, type ProbeInput, type ProbeResult } from './probe.js';
import { erraticFinding } from './temperature-erratic.js';

/**
 * TEMPERATURE_ANOMALY: the container's baseline from the baselineMs before
 * the window (reefers' readings outside their band left out, as the rule
 * does), its median and robust sigma (1.4826 x MAD, at least minSigmaC), the
 * threshold max(robustZ x sigma, minDelta), and in the window the largest
 * deviation and the longest run (started over the threshold, held over 60 %
 * of it, the rule's hysteresis). Under the threshold: largest deviation /
 * threshold; over it: the lower of run length / sustainMs and readings /
 * minReadings. A reefer is also judged erratic (temperature-erratic.ts); the
 * score is the higher of the two, both told.
 */
export const temperatureAnomalyProbe: Probe = {
  rule: 'TEMPERATURE_ANOMALY',
  run(input) {
    const level = levelShift(input);
    const erratic = erraticFinding(input);
    if (!erratic) return level;
    // the closer half first, both told
    const halves = [{ name: 'level', r: level }, { name: 'erratic', r: erratic }].sort((a, b) => (b.r.score ?? 0) - (a.r.score ?? 0));
    return result(this.rule, halves[0]!.r.score, halves.map((h) => `${h.name}: ${h.r.reason}`).join('; '), halves[0]!.r.at);
  },
};

/** The level-shift half: deviation from the baseline median. */
function levelShift(input: ProbeInput): ProbeResult {
  const rule = 'TEMPERATURE_ANOMALY';
  const cfg = input.rules.temperatureAnomaly;
  const temps = input.trace.steps.filter((s) => s.reading.kind === 'temperature');
  if (temps.length === 0) return result(rule, 0, 'no temperature reading');
  const band = (s: (typeof temps)[number]) => reeferBand(contextAt(s, input), s.reading.kind === 'temperature' ? s.reading.setpointC : undefined);
  const celsius = (s: (typeof temps)[number]) => (s.reading.kind === 'temperature' ? s.reading.celsius : NaN);
  const inBand = (s: (typeof temps)[number]) => {
    const b = band(s);
    return !b || Math.abs(celsius(s) - b.setpointC) <= b.toleranceC;
  };
  const history = temps.filter((s) => s.reading.ts < input.from && s.reading.ts >= input.from - cfg.baselineMs && inBand(s)).slice(-cfg.maxBaselineReadings);
  const reefer = band(temps[temps.length - 1]!) !== null;
  const minSpan = reefer ? cfg.minBaselineSpanReeferMs : cfg.minBaselineSpanDryMs;
  const span = history.length ? input.from - history[0]!.reading.ts : 0;
  if (history.length === 0) return result(rule, 0, `no temperature reading in the ${dur(cfg.baselineMs)} before the window: no baseline (needs ${cfg.minBaselineReadings} readings over ${dur(minSpan)})`);
  const values = history.map(celsius);
  const base = median(values);
  const sigma = Math.max(cfg.minSigmaC, 1.4826 * medianAbsoluteDeviation(values));
  const minDelta = reefer ? cfg.minDeltaReeferC : cfg.minDeltaDryC;
  const threshold = Math.max(cfg.robustZ * sigma, minDelta);
  const short = history.length < cfg.minBaselineReadings || span < minSpan ? `; baseline too short for the rule to judge yet (needs ${cfg.minBaselineReadings} readings over ${dur(minSpan)})` : '';
  const baseText = `${reefer ? 'reefer' : 'dry box'} baseline ${base.toFixed(1)} °C, robust sigma ${sigma.toFixed(2)} from ${history.length} readings over ${dur(span)} before the window; threshold ${threshold.toFixed(1)} °C = max(robustZ ${cfg.robustZ} x sigma, ${reefer ? 'minDeltaReeferC' : 'minDeltaDryC'} ${minDelta})`;
  let maxDev = 0;
  let maxAt = 0;
  let ep: { start: number; last: number; count: number; sign: number } | null = null;
  let best: { start: number; length: number; count: number } | null = null;
  const end = () => {
    if (ep && (!best || ep.last - ep.start > best.length || (ep.last - ep.start === best.length && ep.count > best.count))) best = { start: ep.start, length: ep.last - ep.start, count: ep.count };
    ep = null;
  };
  for (const s of temps) {
    if (!s.active || !inWindow(s.reading.ts, input)) continue;
    if (!inBand(s)) {
      end(); // outside a reefer's band is the excursion rule's
      continue;
    }
    const dev = celsius(s) - base;
    if (Math.abs(dev) > Math.abs(maxDev)) {
      maxDev = dev;
      maxAt = s.reading.ts;
    }
    const e = ep as { start: number; last: number; count: number; sign: number } | null;
    if (e && Math.sign(dev) === e.sign && Math.abs(dev) >= 0.6 * threshold) {
      e.last = s.reading.ts;
      e.count++;
    } else if (Math.abs(dev) >= threshold) {
      end();
      ep = { start: s.reading.ts, last: s.reading.ts, count: 1, sign: Math.sign(dev) };
    } else end();
  }
  end();
  const devText = `largest deviation ${maxDev >= 0 ? '+' : ''}${maxDev.toFixed(1)} °C${maxAt ? ` at ${when(maxAt)}` : ''}`;
  const b = best as { start: number; length: number; count: number } | null;
  if (!b) return result(rule, Math.abs(maxDev) / threshold, `${devText}, under the threshold; ${baseText}${short}`, maxAt || null);
  const score = Math.min(b.length / cfg.sustainMs, b.count / cfg.minReadings);
  return result(rule, score, `${devText}; longest run from ${when(b.start)}: ${dur(b.length)}, ${b.count} reading${b.count === 1 ? '' : 's'} (sustainMs ${dur(cfg.sustainMs)}, minReadings ${cfg.minReadings}); ${baseText}${short}`, b.start);
}
