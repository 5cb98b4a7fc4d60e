import { kmBetween, knots } from '../../geo/distance.js';
import { insideAnyZone } from '../../trips/compile.js';
import { hhmm, dur, inWindow, km, kn, result, when, type Probe, type ProbeInput } from './probe.js';
import type { Step } from './trace.js';
import { learn, newDevice, positionGapLimit, push, reportedThrough, timerLimit, type Device, type Silence } from './location-gap-device.js';

interface Finding {
  score: number;
  from: number;
  text: string;
  /** A gate that held the score at 0 though the quantity passed its threshold (told even when another finding scores higher). */
  gated?: boolean;
  /** A silence of maxSilenceMs or more, judged by how it ended: its length (told even when a shorter one scores higher). */
  judgedMs?: number;
}

const keep = (best: Finding | null, f: Finding | null): Finding | null => (f && (!best || f.score > best.score) ? f : best);

/**
 * LOCATION_GAP, both shapes, on the rule's own state rebuilt from the steps
 * (location-gap-device.ts; per trip, learnt from the yard days on), for gaps
 * and silences starting in the window; the score is the higher:
 * (a) no fix while the rest reported through it (two other readings or more,
 * no quiet stretch over half of it): gap / max(maxPositionGapMs, gnssDropoutMs
 * + 2 x usual interval, intervalFactor x usual interval), at each reading and
 * at the fix that ends it;
 * (b) a silence of every reading: under maxSilenceMs, silence / maxSilenceMs;
 * past it, judged by how it ended, the highest of: the door changed (1);
 * the speed it implies / max(maxTravelKn, 1.5 x the speed before) (the
 * distance from the last fix to the fix that ended it); and, not woken where
 * it fell asleep (within stationary.radiusKm), the lower of history /
 * profileMinHistoryMs and silence / (intervalFactor x its longest quiet
 * before). Where it stood or where the voyage would take it, door as it was,
 * scores under 1. The timer: a silence believed once the next reading's
 * arrival (or the input's end) less allowedLatenessMs passed its start plus
 * max(maxUnresumedSilenceMs, or standing maxStationarySilenceMs,
 * intervalFactor x the longest quiet): believed / that; never near a port
 * (nearPortKm): 0.
 */
export const locationGapProbe: Probe = {
  rule: 'LOCATION_GAP',
  run(input) {
    let gap: Finding | null = null;
    let silence: Finding | null = null;
    let d = newDevice();
    let trip: string | null | undefined;
    let lastArrival = -Infinity;
    const gates: string[] = [];
    let longest: Finding | null = null;
    const timed = (f: Finding | null) => {
      if (f?.gated) gates.push(f.text);
      silence = keep(silence, f);
    };
    for (const s of input.trace.steps) {
      const r = s.reading;
      // the engine starts the rules afresh on a new trip; the old trip's timer fires first if the clock got there
      timed(timer(d, r.receivedAt, r.ts, lastArrival, s, input));
      if (r.tripId !== trip) {
        trip = r.tripId;
        d = newDevice();
      }
      lastArrival = Math.max(lastArrival, r.receivedAt);
      if (!s.active) {
        if (s.plan && r.ts < s.plan.departure) learn(d, s);
        if (s.arrivedAt !== null) d.arrived = true;
        continue;
      }
      d.activeUntil = s.plan?.activeUntil ?? Infinity;
      const f = onReading(d, s, input);
      gap = keep(gap, f.gap);
      silence = keep(silence, f.silence);
      if (f.silence?.judgedMs !== undefined && f.silence.judgedMs > (longest?.judgedMs ?? 0)) longest = f.silence;
      if (r.kind === 'location' && s.plan && s.plan.destinationZones.length > 0 && insideAnyZone(s.plan.destinationZones, r.lat, r.lon)) d.arrived = true;
    }
    timed(timer(d, input.trace.inputEnd, Infinity, lastArrival, null, input));
    const a = gap ? gap.text : 'no position gap the rest reported through';
    const b = silence ? silence.text : 'no silence';
    const gated = gates
      .filter((g) => g !== silence?.text)
      .map((g) => `; ${g}`)
      .join('');
    const judged = longest && longest !== silence ? `; the longest silence judged: ${longest.text} (${longest.score.toFixed(2)})` : '';
    const sa = gap?.score ?? 0;
    const sb = silence?.score ?? 0;
    return result(this.rule, Math.max(sa, sb), `${a}; ${b}${judged}${gated}`, sa >= sb ? (gap?.from ?? null) : (silence?.from ?? null));
  },
};

/** The rule's onReading for one step it evaluated: state updated, what the step shows of a gap or a silence. */
function onReading(d: Device, s: Step, input: ProbeInput): { gap: Finding | null; silence: Finding | null } {
  const cfg = input.rules.locationGap;
  const r = s.reading;
  let gap: Finding | null = null;
  let silence: Finding | null = null;
  if (Number.isNaN(d.firstTs)) d.firstTs = r.ts;
  const since = r.ts - d.lastTs;
  if (d.lastFix && since > d.quietSinceFix) d.quietSinceFix = since;
  const quietBefore = d.longestQuiet;
  if (Number.isFinite(since) && since > d.longestQuiet && (since < cfg.maxSilenceMs || d.silencedAfter === d.lastEventId)) d.longestQuiet = since;
  const resumes = r.kind === 'location' || r.kind === 'door';
  if (d.lastEventId && d.silencedAfter !== d.lastEventId && since >= cfg.maxSilenceMs) {
    d.silencedAfter = d.lastEventId;
    if (d.lastFix) d.silencedFix = d.lastFix.eventId;
    const sil: Silence = { from: d.lastTs, to: r.ts, lastFix: d.lastFix, lastKn: d.lastKn, stopped: d.lastStopped, door: d.lastDoor, historyMs: d.lastTs - d.firstTs, longestQuiet: quietBefore };
    // ended by a reading that cannot say where the box is: judged at the next fix or door change
    if (resumes) silence = judge(d, sil, s, input);
    else d.pending = sil;
  } else {
    if (d.pending && (r.kind === 'location' || (r.kind === 'door' && s.doorChanged))) {
      silence = judge(d, d.pending, s, input);
      d.pending = null;
    }
    if (d.lastEventId && since < cfg.maxSilenceMs && inWindow(d.lastTs, input))
      silence = keep(silence, { score: since / cfg.maxSilenceMs, from: d.lastTs, text: `silence ${dur(since)} from ${when(d.lastTs)} (maxSilenceMs ${dur(cfg.maxSilenceMs)}: shorter is never judged)` });
  }
  d.lastTs = r.ts;
  d.lastEventId = r.eventId;
  d.lastDoor = s.door;
  const last = d.lastFix;
  if (r.kind === 'location') {
    const fix = s.fix!;
    if (last && d.silencedFix !== last.eventId && reportedThrough(d, fix.ts - last.ts) && inWindow(last.ts, input)) gap = gapFinding(d, last.ts, fix.ts, `, ended by the fix at ${hhmm(fix.ts)}`, input);
    if (last) {
      push(d.intervals, fix.ts - last.ts);
      if (s.inStop && d.lastStopped) push(d.stationaryIntervals, fix.ts - last.ts);
    }
    d.lastKn = fix.speedKn ?? (last && fix.ts > last.ts ? knots(kmBetween(last, fix), fix.ts - last.ts) : null);
    d.lastFix = fix;
    d.lastStopped = s.inStop;
    d.othersSinceFix = 0;
    d.quietSinceFix = 0;
    return { gap, silence };
  }
  if (!last) return { gap, silence };
  d.othersSinceFix++;
  if (d.silencedFix !== last.eventId && reportedThrough(d, r.ts - last.ts) && inWindow(last.ts, input)) gap = gapFinding(d, last.ts, r.ts, '', input);
  return { gap, silence };
}

function gapFinding(d: Device, from: number, to: number, end: string, input: ProbeInput): Finding {
  const limit = positionGapLimit(d, input.rules.locationGap);
  return { score: (to - from) / limit.ms, from, text: `position gap ${dur(to - from)} from ${when(from)}${end} with ${d.othersSinceFix} other readings, none quiet for over half of it (threshold ${limit.text})` };
}

/** A silence of maxSilenceMs or more that ended, judged by how it ended (the rule's judgeSilence). */
function judge(d: Device, sil: Silence, s: Step, input: ProbeInput): Finding | null {
  const cfg = input.rules.locationGap;
  const len = sil.to - sil.from;
  const at = s.reading.kind === 'location' ? s.fix! : null;
  const moved = sil.lastFix && at ? kmBetween(sil.lastFix, at) : null;
  const doorChanged = sil.door !== 'unknown' && s.door !== 'unknown' && s.door !== sil.door;
  const couldSail = Math.max(cfg.maxTravelKn, 1.5 * (sil.stopped ? 0 : (sil.lastKn ?? 0)));
  const impliedKn = moved !== null ? knots(moved, len) : null;
  const travel = impliedKn !== null ? impliedKn / couldSail : 0;
  // a silence that is not raised for the door or the distance becomes part of the device's normal
  if (!doorChanged && !(travel > 1) && len > d.longestQuiet) d.longestQuiet = len;
  if (!inWindow(sil.from, input)) return null;
  const samePlace = moved !== null && moved <= input.rules.stationary.radiusKm;
  const profile = samePlace ? 0 : Math.min(sil.historyMs / cfg.profileMinHistoryMs, len / (cfg.intervalFactor * sil.longestQuiet));
  const parts = [
    doorChanged ? `it resumed with the door ${s.door} (it was ${sil.door})` : 'the door as it was',
    moved === null
      ? 'no fix to say where it woke'
      : `woke ${km(moved)} from the last fix, ${kn(impliedKn)} (farther than it could sail from max(maxTravelKn ${cfg.maxTravelKn}, 1.5 x ${kn(sil.stopped ? 0 : sil.lastKn)} before) = ${kn(couldSail)})`,
    samePlace
      ? `where it fell asleep (within stationary.radiusKm ${input.rules.stationary.radiusKm}): a sleeping tracker`
      : `its longest quiet before ${dur(sil.longestQuiet)} (raised past intervalFactor ${cfg.intervalFactor} x that) in ${dur(sil.historyMs)} of reporting (profileMinHistoryMs ${dur(cfg.profileMinHistoryMs)})`,
  ];
  const judgedAt = s.reading.ts > sil.to ? ` (judged at ${hhmm(s.reading.ts)}, the first fix or door change after it)` : '';
  return { score: Math.max(doorChanged ? 1 : 0, travel, profile), judgedMs: len, from: sil.from, text: `silence ${dur(len)} from ${when(sil.from)}${judgedAt}: ${parts.join('; ')}` };
}

/**
 * The rule's silence timer, armed at the last reading: fired before the step
 * at `to` (or by the end of the input) when the engine's clock, less
 * allowedLatenessMs, passed its time first (approximated by that step's
 * arrival), the container not still delivering, the trip still active.
 */
function timer(d: Device, clock: number, to: number, lastArrival: number, s: Step | null, input: ProbeInput): Finding | null {
  if (!d.lastEventId || d.silencedAfter === d.lastEventId || d.arrived || !Number.isFinite(clock)) return null;
  const cfg = input.rules.locationGap;
  const limit = timerLimit(d, cfg);
  const wm = clock - input.engine.allowedLatenessMs;
  const until = Math.min(wm, to, d.activeUntil);
  let score = Math.max(0, until - d.lastTs) / limit.ms;
  const notes: string[] = [];
  if (lastArrival > wm && score >= 1) {
    score = 0.99;
    notes.push('; the device was still delivering, so its timer waited');
  }
  const port = d.lastFix ? input.ports.nearest(d.lastFix.lat, d.lastFix.lon) : null;
  let gated = false;
  if (port && port.distanceKm <= cfg.nearPortKm) {
    gated = score >= 1;
    score = 0;
    notes.push(`; never raised near a port: last fix ${km(port.distanceKm)} from ${port.port.name} (nearPortKm ${cfg.nearPortKm}), judged when it speaks again`);
  }
  if (score >= 1) {
    d.silencedAfter = d.lastEventId;
    d.pending = null;
    if (d.lastFix) d.silencedFix = d.lastFix.eventId;
  }
  if (!inWindow(d.lastTs, input)) return null;
  const ended = s ? `until ${when(s.reading.ts)}, arriving ${when(s.reading.receivedAt)}` : 'for the rest of the input';
  return {
    score,
    gated,
    from: d.lastTs,
    text: `no reading after ${when(d.lastTs)} ${ended}: ${dur(Math.max(0, until - d.lastTs))} of it believed before any reading ended it (allowedLatenessMs ${dur(input.engine.allowedLatenessMs)}) against the timer's ${limit.text}${notes.join('')}`,
  };
}
