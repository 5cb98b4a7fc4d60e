import type { ErraticEpisode } from '../../rules/temperature-erratic.js';
import { dur, inWindow, result, when, type ProbeInput, type ProbeResult } from './probe.js';
import type { TempRecord } from './temperature-replay.js';

/**
 * The erratic half of TEMPERATURE_ANOMALY, for reefers: the rule's own
 * detector (judgeErratic), as temperature-replay.ts ran it. An episode
 * starting in the window scores how long it held / erraticSustainMs (held
 * while over 3/4 of its threshold, or still swinging). Without one, the
 * largest of the window's judged windows of erraticReadings readings: the
 * median step (a defrost taken out) / max(erraticMinSpreadC, erraticFactor x
 * the usual step), or how near it came to swinging to both sides of the
 * setpoint (the lowest of: readings erraticMinSpreadC above / 2, below / 2,
 * both / 60 % of the window). Null for a dry box (only its level is judged).
 */
export function erraticFinding(recs: TempRecord[], input: ProbeInput): ProbeResult | null {
  const rule = 'TEMPERATURE_ANOMALY';
  const cfg = input.rules.temperatureAnomaly;
  if (!recs.some((r) => r.band)) return null;
  const thresholdText = (t: number, u: number) => `threshold ${t.toFixed(1)} °C = max(erraticMinSpreadC ${cfg.erraticMinSpreadC}, erraticFactor ${cfg.erraticFactor} x usual step ${u.toFixed(2)} °C)`;
  // per episode, how long it held: its last window over the holding level, from its start
  const held = new Map<ErraticEpisode, number>();
  for (const r of recs) {
    const e = r.erratic;
    if (e?.episode && e.full && e.judged && e.calm === 0) held.set(e.episode, Math.max(held.get(e.episode) ?? 0, r.ts - e.episode.startTs));
  }
  let best: { ep: ErraticEpisode; held: number } | null = null;
  let before: { ep: ErraticEpisode; held: number } | null = null;
  for (const [ep, h] of held) {
    if (inWindow(ep.startTs, input)) {
      if (!best || h > best.held) best = { ep, held: h };
    } else if (ep.startTs < input.from && ep.startTs + h >= input.from) before = { ep, held: h };
  }
  const earlier = before ? `; an erratic spell from ${when(before.ep.startTs)}, before the window, held ${dur(before.held)}` : '';
  if (best) {
    const e = best.ep;
    return result(
      rule,
      best.held / cfg.erraticSustainMs,
      `median step up to ${e.peakSpreadC.toFixed(1)} °C over ${cfg.erraticReadings} readings from ${when(e.startTs)}, between ${e.lowC.toFixed(1)} and ${e.highC.toFixed(1)} °C (${thresholdText(e.thresholdC, e.baseSpreadC)}, or swinging to both sides of the setpoint); held ${dur(best.held)} (erraticSustainMs ${dur(cfg.erraticSustainMs)}; held while over 3/4 of the threshold)${earlier}`,
      e.startTs,
    );
  }
  let top: { score: number; rec: TempRecord; swing: number } | null = null;
  let windows = 0;
  for (const r of recs) {
    const e = r.erratic;
    if (!e?.full || !e.judged || !inWindow(r.ts, input)) continue;
    windows++;
    const swing = Math.min(e.high / 2, e.low / 2, (e.high + e.low) / (0.6 * e.n));
    const s = Math.max(e.spread / e.threshold, swing);
    if (!top || s > top.score) top = { score: s, rec: r, swing };
  }
  if (!top) return result(rule, 0, `never ${cfg.erraticReadings} in-band readings within erraticMaxWindowMs ${dur(cfg.erraticMaxWindowMs)} in the window: not judged erratic${earlier}`);
  const e = top.rec.erratic!;
  const sp = top.rec.band!.setpointC;
  return result(
    rule,
    Math.min(top.score, 0.99),
    `largest median step ${e.spread.toFixed(1)} °C over ${cfg.erraticReadings} readings to ${when(top.rec.ts)} (of ${windows} windows), under the ${thresholdText(e.threshold, e.usual)}; ${e.high} reading(s) ${cfg.erraticMinSpreadC} °C or more above the ${sp} °C setpoint and ${e.low} below (swinging from 2 each side, 60 % of the window)${earlier}`,
    top.rec.ts,
  );
}
