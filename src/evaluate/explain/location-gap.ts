import { activeSteps, dur, inWindow, result, when, type Probe } from './probe.js';

/** The rule keeps this many recent fix intervals for the device's usual interval. */
const INTERVALS = 9;

/**
 * LOCATION_GAP, both halves: (a) the longest time without a fix while at
 * least two other readings came, to the last of them, against
 * max(maxPositionGapMs, intervalFactor x the device's median fix interval);
 * (b) the longest time without any reading against maxSilenceMs. Gaps that
 * start in the window; the score is the larger of the two ratios.
 */
export const locationGapProbe: Probe = {
  rule: 'LOCATION_GAP',
  run(input) {
    const cfg = input.rules.locationGap;
    const steps = activeSteps(input.trace);
    const intervals: number[] = [];
    let lastFix: number | null = null;
    let others: number[] = [];
    let pos: { score: number; from: number; gap: number; threshold: number; others: number } | null = null;
    const closeGap = () => {
      if (lastFix === null || others.length < 2 || !inWindow(lastFix, input) || others[others.length - 1]! === lastFix) return;
      const threshold = thresholdOf(intervals, cfg.maxPositionGapMs, cfg.intervalFactor);
      const gap = others[others.length - 1]! - lastFix;
      if (!pos || gap / threshold > pos.score) pos = { score: gap / threshold, from: lastFix, gap, threshold, others: others.length };
    };
    let silence: { from: number; gap: number; end?: boolean } | null = null;
    let prevTs: number | null = null;
    for (const s of steps) {
      const ts = s.reading.ts;
      if (prevTs !== null && inWindow(prevTs, input) && (!silence || ts - prevTs > silence.gap)) silence = { from: prevTs, gap: ts - prevTs };
      prevTs = ts;
      if (s.reading.kind !== 'location') {
        others.push(ts);
        continue;
      }
      closeGap();
      if (lastFix !== null) {
        intervals.push(ts - lastFix);
        if (intervals.length > INTERVALS) intervals.shift();
      }
      lastFix = ts;
      others = [];
    }
    closeGap();
    // the data ends: the rule's timer believes the silence once the input's clock, less the allowed lateness, passes its deadline
    const lastStep = steps[steps.length - 1];
    const lastReading = input.trace.readings[input.trace.readings.length - 1];
    if (lastStep && lastReading && lastReading.ts <= lastStep.reading.ts && inWindow(lastStep.reading.ts, input) && Number.isFinite(input.trace.inputEnd)) {
      // ...and while the plan is active (its timers stop at activeUntil)
      const until = Math.min(input.trace.inputEnd - input.engine.allowedLatenessMs, lastStep.plan?.activeUntil ?? Infinity);
      const believed = until - lastStep.reading.ts;
      if (!silence || believed > (silence as { gap: number }).gap) silence = { from: lastStep.reading.ts, gap: Math.max(0, believed), end: true };
    }
    const p = pos as { score: number; from: number; gap: number; threshold: number; others: number } | null;
    const sl = silence as { from: number; gap: number; end?: boolean } | null;
    const a = p ? `longest position gap ${dur(p.gap)} from ${when(p.from)} with ${p.others} other readings (threshold ${dur(p.threshold)})` : 'no position gap with other readings in it';
    const b = !sl
      ? 'no silence'
      : sl.end
        ? `no reading after ${when(sl.from)} for the rest of the input: ${dur(sl.gap)} of silence the rule can believe (to the input's end less allowedLatenessMs ${dur(input.engine.allowedLatenessMs)}, at most to the plan's activeUntil) (maxSilenceMs ${dur(cfg.maxSilenceMs)})`
        : `longest silence ${dur(sl.gap)} from ${when(sl.from)} (maxSilenceMs ${dur(cfg.maxSilenceMs)})`;
    const sa = p ? p.score : 0;
    const sb = sl ? sl.gap / cfg.maxSilenceMs : 0;
    return result(this.rule, Math.max(sa, sb), `${a}; ${b}`, sa >= sb ? (p?.from ?? null) : (sl?.from ?? null));
  },
};

/** As the rule: the gap must exceed the minimum and intervalFactor x the (upper) median of the recent fix intervals, once there are 3. */
function thresholdOf(intervals: number[], min: number, factor: number): number {
  if (intervals.length < 3) return min;
  const sorted = [...intervals].sort((x, y) => x - y);
  return Math.max(min, factor * sorted[Math.floor(sorted.length / 2)]!);
}
