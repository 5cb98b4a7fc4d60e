import { kmBetween } from '../../geo/distance.js';
import type { Fix } from '../../rules/rule.js';
import { activeSteps, dur, inWindow, km, result, when, type Probe, type ProbeInput } from './probe.js';
import type { Step } from './trace.js';

/** The rule keeps this many recent fix intervals for the device's usual interval. */
const INTERVALS = 9;

type Cfg = ProbeInput['rules']['locationGap'];

/** What the rule knows of the device when a gap or silence begins (its state, rebuilt from the steps). */
interface Device {
  intervals: number[];
  /** The longest interval between two fixes of one stop on this trip. */
  stationaryInterval: number;
  lastFix: Fix | null;
  /** The container stood in a stop at its last fix. */
  stopped: boolean;
}

interface Finding {
  score: number;
  from: number;
  text: string;
}

/**
 * LOCATION_GAP, both halves, on the rule's own state rebuilt from the steps
 * (per trip, as the engine resets it):
 * (a) the time without a fix while at least two other readings came, against
 * max(maxPositionGapMs, intervalFactor x the usual interval): the median of
 * the recent fix intervals, or in a stop the longer of that and the
 * stationary interval (the longest between two fixes of a stop);
 * (b) the time without any reading: under way against maxSilenceMs; standing
 * in a stop against max(maxStationarySilenceMs, intervalFactor x the
 * stationary interval), unless it resumed away from where it stopped (beyond
 * stationary.radiusKm) or with the door changed, when maxSilenceMs holds
 * again; a silence to the end of the input counts once allowedLatenessMs has
 * passed. Gaps and silences that start in the window; the score is the
 * highest ratio.
 */
export const locationGapProbe: Probe = {
  rule: 'LOCATION_GAP',
  run(input) {
    const cfg = input.rules.locationGap;
    const steps = activeSteps(input.trace);
    let gap: Finding | null = null;
    let silence: Finding | null = null;
    const keep = (best: Finding | null, f: Finding) => (!best || f.score > best.score ? f : best);
    let dev: Device = { intervals: [], stationaryInterval: 0, lastFix: null, stopped: false };
    let others = 0;
    let prev: Step | null = null;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      const ts = s.reading.ts;
      if (prev && s.reading.tripId !== prev.reading.tripId) {
        dev = { intervals: [], stationaryInterval: 0, lastFix: null, stopped: false };
        others = 0;
        prev = null;
      }
      if (prev && inWindow(prev.reading.ts, input)) silence = keep(silence, judgeSilence(prev, s, steps, i, dev, input));
      prev = s;
      if (s.reading.kind === 'location') {
        const fix = s.fix!;
        if (dev.lastFix) {
          dev.intervals.push(fix.ts - dev.lastFix.ts);
          if (dev.intervals.length > INTERVALS) dev.intervals.shift();
          if (s.inStop && dev.stopped) dev.stationaryInterval = Math.max(dev.stationaryInterval, fix.ts - dev.lastFix.ts);
        }
        dev.lastFix = fix;
        dev.stopped = s.inStop;
        others = 0;
        continue;
      }
      others++;
      const last = dev.lastFix;
      if (!last || others < 2 || !inWindow(last.ts, input)) continue;
      const limit = gapLimit(dev, cfg);
      gap = keep(gap, { score: (ts - last.ts) / limit.ms, from: last.ts, text: `position gap ${dur(ts - last.ts)} from ${when(last.ts)} with ${others} other readings (threshold ${limit.text})` });
    }
    // the data ends: the rule's timer believes the silence once the input's clock, less the allowed lateness, passes its deadline
    const lastStep = steps[steps.length - 1];
    const lastReading = input.trace.readings[input.trace.readings.length - 1];
    if (lastStep && lastReading && lastReading.ts <= lastStep.reading.ts && inWindow(lastStep.reading.ts, input) && Number.isFinite(input.trace.inputEnd)) {
      // ...and while the plan is active (its timers stop at activeUntil)
      const until = Math.min(input.trace.inputEnd - input.engine.allowedLatenessMs, lastStep.plan?.activeUntil ?? Infinity);
      const believed = Math.max(0, until - lastStep.reading.ts);
      const limit = silenceLimit(dev, cfg);
      silence = keep(silence, {
        score: believed / limit.ms,
        from: lastStep.reading.ts,
        text: `no reading after ${when(lastStep.reading.ts)} for the rest of the input: ${dur(believed)} of silence the rule can believe (to the input's end less allowedLatenessMs ${dur(input.engine.allowedLatenessMs)}, at most to the plan's activeUntil) (${limit.text})`,
      });
    }
    const a = gap ? gap.text : 'no position gap with other readings in it';
    const b = silence ? silence.text : 'no silence';
    const sa = gap?.score ?? 0;
    const sb = silence?.score ?? 0;
    return result(this.rule, Math.max(sa, sb), `${a}; ${b}`, sa >= sb ? (gap?.from ?? null) : (silence?.from ?? null));
  },
};

/** The silence between two consecutive readings, judged as the rule judges it. */
function judgeSilence(prev: Step, s: Step, steps: Step[], i: number, dev: Device, input: ProbeInput): Finding {
  const cfg = input.rules.locationGap;
  const from = prev.reading.ts;
  const len = s.reading.ts - from;
  const text = (limit: string, more = '') => `silence ${dur(len)} from ${when(from)} (${limit})${more}`;
  if (!dev.stopped) return { score: len / cfg.maxSilenceMs, from, text: text(`maxSilenceMs ${dur(cfg.maxSilenceMs)}`) };
  // standing in a stop: a tracker asleep, unless it woke elsewhere or with the door changed (judged at the next fix)
  let judged: Step | null = null;
  for (let k = i; k < steps.length && !judged; k++) if (steps[k]!.reading.tripId === s.reading.tripId && steps[k]!.reading.kind === 'location') judged = steps[k]!;
  const moved = dev.lastFix && judged ? kmBetween(dev.lastFix, judged.fix!) : null;
  const doorChanged = prev.door !== 'unknown' && judged !== null && judged.door !== prev.door;
  const away = moved !== null && moved > input.rules.stationary.radiusKm;
  const limit = silenceLimit(dev, cfg);
  // how it resumed matters only once the silence is long enough to be raised under way
  const woke = len < cfg.maxSilenceMs ? '' : judged ? `; it resumed${moved === null ? '' : ` ${km(moved)} from the last fix`}${doorChanged ? `, the door ${judged.door} (it was ${prev.door})` : ', the door as it was'}` : '; no fix after it to say whether it moved';
  if (away || doorChanged) {
    return { score: Math.max(len / cfg.maxSilenceMs, len / limit.ms), from, text: text(`standing in a stop, but it resumed ${away ? `beyond stationary.radiusKm ${input.rules.stationary.radiusKm}` : 'with the door changed'}: maxSilenceMs ${dur(cfg.maxSilenceMs)}`, woke) };
  }
  return { score: len / limit.ms, from, text: text(`standing in a stop: ${limit.text}`, `${woke}${len < limit.ms ? ': a sleeping tracker' : ''}`) };
}

/** The (upper) median of the recent fix intervals once there are 3, as the rule takes it; else 0. */
function medianInterval(dev: Device): number {
  if (dev.intervals.length < 3) return 0;
  const sorted = [...dev.intervals].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function gapLimit(dev: Device, cfg: Cfg): { ms: number; text: string } {
  const median = medianInterval(dev);
  const usual = dev.stopped ? Math.max(median, dev.stationaryInterval) : median;
  const ms = Math.max(cfg.maxPositionGapMs, cfg.intervalFactor * usual);
  const of = dev.stopped ? `usual interval ${dur(usual)}, in a stop the longer of the median ${dur(median)} and the stationary ${dur(dev.stationaryInterval)}` : `median interval ${dur(median)}`;
  return { ms, text: `${dur(ms)} = max(maxPositionGapMs ${dur(cfg.maxPositionGapMs)}, intervalFactor ${cfg.intervalFactor} x ${of})` };
}

function silenceLimit(dev: Device, cfg: Cfg): { ms: number; text: string } {
  if (!dev.stopped) return { ms: cfg.maxSilenceMs, text: `maxSilenceMs ${dur(cfg.maxSilenceMs)}` };
  const ms = Math.max(cfg.maxStationarySilenceMs, cfg.intervalFactor * dev.stationaryInterval);
  return { ms, text: `${dur(ms)} = max(maxStationarySilenceMs ${dur(cfg.maxStationarySilenceMs)}, intervalFactor ${cfg.intervalFactor} x stationary interval ${dur(dev.stationaryInterval)})` };
}
