import { dur, inWindow, result, when, type Probe, type ProbeInput, type ProbeResult } from './probe.js';
import { erraticFinding } from './temperature-erratic.js';
import { replayAnomaly, type DryLevel, type LevelEpisode, type ReeferLevel, type TempRecord } from './temperature-replay.js';

/**
 * TEMPERATURE_ANOMALY: the rule walked over the container's temperatures
 * (temperature-replay.ts: its rolling baseline, hysteresis and erratic
 * detector), two halves, the higher scoring first, both told.
 * Level: a shift starting in the window scores the lower of its length /
 * sustainMs and its readings / minReadings. Without one, the largest of the
 * window's readings: a reefer's deviation from its baseline median /
 * max(robustZ x robust sigma, minDeltaReeferC); a dry box's distance beyond
 * the range of its own last day / minDeltaDryC, and fresh off the yard (less
 * than minBaselineReadings over minBaselineSpanDryMs) the lower of that and
 * its rate of change / dryMaxRateCPerHour. Readings just outside a reefer's
 * band are skipped, not an end (the excursion rule's alone from twice the
 * tolerance). Erratic (reefers, temperature-erratic.ts).
 */
export const temperatureAnomalyProbe: Probe = {
  rule: 'TEMPERATURE_ANOMALY',
  run(input) {
    const recs = replayAnomaly(input);
    const level = levelShift(recs, input);
    const erratic = erraticFinding(recs, input);
    if (!erratic) return level;
    const halves = [
      { name: 'level', r: level },
      { name: 'erratic', r: erratic },
    ].sort((a, b) => (b.r.score ?? 0) - (a.r.score ?? 0));
    return result(this.rule, halves[0]!.r.score, halves.map((h) => `${h.name}: ${h.r.reason}`).join('; '), halves[0]!.r.at);
  },
};

function levelShift(recs: TempRecord[], input: ProbeInput): ProbeResult {
  const rule = 'TEMPERATURE_ANOMALY';
  const cfg = input.rules.temperatureAnomaly;
  if (recs.length === 0) return result(rule, 0, 'no temperature reading the rules evaluated');
  const inWin = recs.filter((r) => inWindow(r.ts, input));
  // level episodes (the rule's): the reading each started at, for the baseline it was judged on
  const starts = new Map<LevelEpisode, TempRecord>();
  for (const r of recs) if (r.episode && !starts.has(r.episode)) starts.set(r.episode, r);
  const score = (e: LevelEpisode) => Math.min((e.lastTs - e.startTs) / cfg.sustainMs, e.count / cfg.minReadings);
  let best: LevelEpisode | null = null;
  let before: LevelEpisode | null = null;
  for (const e of starts.keys()) {
    if (inWindow(e.startTs, input)) {
      if (!best || score(e) > score(best)) best = e;
    } else if (e.startTs < input.from && e.lastTs >= input.from) before = e;
  }
  const earlier = before ? `; a shift from ${when(before.startTs)}, before the window, held ${dur(before.lastTs - before.startTs)}` : '';
  if (best) {
    const start = starts.get(best)!;
    const held = `${dur(best.lastTs - best.startTs)}, ${best.count} reading${best.count === 1 ? '' : 's'} (sustainMs ${dur(cfg.sustainMs)}, minReadings ${cfg.minReadings})`;
    return result(rule, score(best), `shift from ${when(best.startTs)} to ${best.peakC.toFixed(1)} °C, held ${held}; ${baseText(start.level!, start, input)}${earlier}`, best.startTs);
  }
  let top: { score: number; rec: TempRecord } | null = null;
  for (const r of inWin) {
    const l = r.level;
    if (r.fate !== 'judged' || !l) continue;
    const s = l.kind === 'reefer' ? Math.abs(l.dev) / l.threshold : l.full ? Math.abs(l.dev) / cfg.minDeltaDryC : Math.min(Math.abs(l.dev) / cfg.minDeltaDryC, l.rate / cfg.dryMaxRateCPerHour);
    if (!top || s > top.score) top = { score: s, rec: r };
  }
  if (!top) return result(rule, 0, `${notJudged(inWin, input)}${earlier}`);
  const l = top.rec.level!;
  const dev = l.kind === 'reefer' ? `largest deviation ${sign(l.dev)} °C` : `at most ${Math.abs(l.dev).toFixed(1)} °C beyond its range${l.full ? '' : `, changing ${l.rate.toFixed(1)} °C/h`}`;
  return result(rule, top.score, `${dev} at ${when(top.rec.ts)}, under the threshold; ${baseText(l, top.rec, input)}${earlier}`, top.rec.ts);
}

/** The baseline a reading was judged on, as the rule holds it. */
function baseText(l: ReeferLevel | DryLevel, r: TempRecord, input: ProbeInput): string {
  const cfg = input.rules.temperatureAnomaly;
  const of = `${l.size} readings over ${dur(l.span)}`;
  if (l.kind === 'reefer') {
    const sigma = Number.isNaN(l.sigma) ? '' : `, robust sigma ${l.sigma.toFixed(2)}`;
    return `reefer baseline ${l.base.toFixed(1)} °C${sigma} from ${of} (setpoint ${r.band!.setpointC} °C ±${r.band!.toleranceC}); threshold ${l.threshold.toFixed(1)} °C = max(robustZ ${cfg.robustZ} x sigma, minDeltaReeferC ${cfg.minDeltaReeferC})`;
  }
  const fresh = l.full
    ? ''
    : `; fresh off the yard (under minBaselineReadings ${cfg.minBaselineReadings} over minBaselineSpanDryMs ${dur(cfg.minBaselineSpanDryMs)}): only a change at dryMaxRateCPerHour ${cfg.dryMaxRateCPerHour} °C/h or faster counts (${l.rate.toFixed(1)} °C/h at ${when(r.ts)})`;
  return `dry box range ${l.lo.toFixed(1)} to ${l.hi.toFixed(1)} °C from ${of} (its own last day); beyond it by minDeltaDryC ${cfg.minDeltaDryC} °C${fresh}`;
}

/** Why no reading of the window was judged on its level. */
function notJudged(recs: TempRecord[], input: ProbeInput): string {
  const cfg = input.rules.temperatureAnomaly;
  if (recs.length === 0) return 'no temperature reading the rules evaluated in the window';
  const n = (f: TempRecord['fate']) => recs.filter((r) => r.fate === f).length;
  const parts: string[] = [];
  const short = recs.filter((r) => r.fate === 'short');
  if (short.length) {
    const last = short[short.length - 1]!;
    const need = last.band
      ? `${cfg.minBaselineReadings} over ${dur(cfg.minBaselineSpanReeferMs)}`
      : `${cfg.erraticReadings / 2} over 1 h, a day's (${cfg.minBaselineReadings} over ${dur(cfg.minBaselineSpanDryMs)}) to judge more than fast changes`;
    parts.push(`${short.length} with a baseline too short to judge (${last.size} readings over ${dur(last.span)}; needs ${need})`);
  }
  if (n('edge')) parts.push(`${n('edge')} just outside the band (skipped: the excursion rule's)`);
  if (n('excursion')) parts.push(`${n('excursion')} twice the tolerance off (the excursion rule's alone)`);
  if (n('erratic')) parts.push(`${n('erratic')} during an erratic episode (kept out of the level)`);
  return `no reading of the window judged on its level: ${parts.join('; ')}`;
}

function sign(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
}
