import { kmBetween } from '../../geo/distance.js';
import type { Fix } from '../../rules/rule.js';
import { fixErrorKm } from '../../rules/stop-tracker.js';
import { placeStop, type StopPlace } from '../../rules/unscheduled-stop.js';
import { activeSteps, contextAt, dur, inWindow, km, kn, pos, result, when, zonesOf, type Probe, type ProbeInput } from './probe.js';
import type { Step } from './trace.js';

/** A stop as the engine's stop tracker saw it: its first fix, and the fixes that belonged to it. */
interface Stop {
  anchor: Fix;
  first: Step;
  /** The last fix of the stop (in the stop: an outlier fix waiting to be judged is not). */
  last: Step;
  /** Fixes that left the stop and were tolerated, the next one being back in it. */
  outliers: number;
  /** When the door was opened during the stop (the rule's `openedIn`), if it was before its last fix. */
  openedAt: number | null;
}

/**
 * UNSCHEDULED_STOP: the stops (fixes sharing the engine's stop anchor while
 * `inStop`) that start in the window, each judged as the rule judges it, the
 * best described. The rule fires once the dwell reaches minStopMs, unless
 * placeStop excuses the stop and the dwell is still under `excusedForMs` and
 * the door was not opened during it. Scored on the first of those its data
 * did not pass: dwell / minStopMs; then, for a waiting area,
 * dwell / excusedForMs; for waiting just off an authorised zone, its distance
 * / zoneApproachKm (at most 0.99: nothing but the distance ends that excuse);
 * inside a zone, 0. A stop that began before the window is named, not scored
 * (its alert would start outside it). Also what ended the stops in the window
 * early, the usual reason a long wait never reaches the threshold.
 */
export const unscheduledStopProbe: Probe = {
  rule: 'UNSCHEDULED_STOP',
  run(input) {
    const cfg = input.rules.unscheduledStop;
    const st = input.rules.stationary;
    const steps = activeSteps(input.trace);
    const stops = stopsOf(steps);
    const dwell = (s: Stop) => s.last.fix!.ts - s.anchor.ts;
    const overlapping = stops.filter((s) => s.anchor.ts < input.from && s.last.fix!.ts >= input.from);
    const splits = describeSplits(
      steps.filter((s) => s.reading.kind === 'location' && inWindow(s.reading.ts, input)),
      input,
    );
    const earlier = longest(overlapping);
    // a stop that began before the window would raise an alert starting outside it: told, not scored
    const before = earlier ? `; a stop from ${when(earlier.anchor.ts)}${startNote(earlier, steps, st)}, before the window, lasted ${dur(dwell(earlier))}` : '';
    const judged = stops.filter((s) => inWindow(s.anchor.ts, input)).map((s) => ({ stop: s, ...judge(s, input) }));
    let best: (typeof judged)[number] | null = null;
    for (const j of judged) if (!best || j.score > best.score || (j.score === best.score && dwell(j.stop) > dwell(best.stop))) best = j;
    if (!best)
      return result(
        this.rule,
        0,
        `no stop starts in the window (a stop starts at a fix reporting at most ${st.maxSpeedKn} kn, or at most leaveSpeedKn ${st.leaveSpeedKn} kn or nothing while the positions say still over 10 min; it lasts while fixes stay within radiusKm ${st.radiusKm} of its first plus their position error and report at most ${st.leaveSpeedKn} kn, one fix out tolerated)${before}${splits}`,
      );
    const s = best.stop;
    const of = judged.length > 1 ? ` (best of ${judged.length} stops starting in the window)` : '';
    const tolerated = s.outliers ? `, ${s.outliers} fix${s.outliers === 1 ? '' : 'es'} out of it tolerated` : '';
    return result(this.rule, best.score, `stop ${dur(dwell(s))} from ${when(s.anchor.ts)}${startNote(s, steps, st)} at ${pos(s.anchor)}${tolerated} (minStopMs ${dur(cfg.minStopMs)}); ${best.reason}${of}${before}${splits}`, s.anchor.ts);
  },
};

/** The stops of the active steps, in order; door openings during a stop noted on it. */
function stopsOf(steps: Step[]): Stop[] {
  const stops: Stop[] = [];
  let pendingOut = 0;
  for (const s of steps) {
    const a = s.stopAnchor;
    const cur = stops[stops.length - 1];
    const same = cur !== undefined && a !== null && cur.anchor.eventId === a.eventId;
    const r = s.reading;
    if (r.kind === 'door') {
      // the rule's openedIn: an opening while the engine held a stop anchor (an outlier pending too)
      if (same && r.open && s.doorChanged && cur.openedAt === null) cur.openedAt = r.ts;
      continue;
    }
    if (r.kind !== 'location' || !a) continue;
    if (!s.inStop) {
      if (same) pendingOut++;
      continue;
    }
    if (same) {
      cur.outliers += pendingOut;
      cur.last = s;
    } else stops.push({ anchor: a, first: s, last: s, outliers: 0, openedAt: null });
    pendingOut = 0;
  }
  // an opening after the stop's last fix never reached the rule's judgement of that stop
  for (const stop of stops) if (stop.openedAt !== null && stop.openedAt > stop.last.reading.ts) stop.openedAt = null;
  return stops;
}

/** The rule's decision on one stop, as a score and the reason. */
function judge(s: Stop, input: ProbeInput): { score: number; reason: string } {
  const cfg = input.rules.unscheduledStop;
  const dwell = s.last.fix!.ts - s.anchor.ts;
  const place = placeStop(s.anchor, contextAt(s.first, input));
  const where = describePlace(place, s, input);
  if (place.authorised) return { score: 0, reason: where };
  const reached = dwell / cfg.minStopMs;
  if (reached < 1 || !place.excusedBy) return { score: reached, reason: where };
  if (s.openedAt !== null) return { score: reached, reason: `${where}; the door was opened ${when(s.openedAt)} during the stop, which takes the excuse away` };
  if (Number.isFinite(place.excusedForMs)) return { score: dwell / place.excusedForMs, reason: where };
  // waiting just off a zone: only the distance to it would have ended the excuse
  const z = zonesOf(s.first, s.anchor);
  return { score: Math.min(0.99, z.nearestKm / cfg.zoneApproachKm), reason: where };
}

function describePlace(place: StopPlace, s: Stop, input: ProbeInput): string {
  const cfg = input.rules.unscheduledStop;
  if (place.authorised) return `${place.excusedBy}: an authorised zone, never raised`;
  if (place.unplannedPort) return `at ${place.unplannedPort.name}, a port the plan does not name (${km(place.unplannedPort.km)}, portCallKm ${cfg.portCallKm})`;
  if (!place.excusedBy) {
    const z = zonesOf(s.first, s.anchor);
    const zone = z.nearest ? `, ${km(z.nearestKm)} off ${z.nearest.name} (zoneApproachKm ${cfg.zoneApproachKm})` : '';
    return `outside every zone and excuse${zone}${place.nearestPort ? `, nearest port ${place.nearestPort.name} ${km(place.nearestPort.km)}` : ''}`;
  }
  if (!Number.isFinite(place.excusedForMs)) return `excused: ${place.excusedBy} (within zoneApproachKm ${cfg.zoneApproachKm} of an authorised zone, for as long as it lasts)`;
  const area = waitingAreaOf(place, s, input);
  const limit = area?.maxWaitMs !== undefined ? "the area's maxWaitMs" : 'waitingAreaMaxWaitMs';
  return `excused: ${place.excusedBy} (a waiting area of this plan: ${area ? whyArea(area, place, s) : 'it applies'}), for up to ${dur(place.excusedForMs)} (${limit})`;
}

type WaitingArea = ProbeInput['rules']['unscheduledStop']['waitingAreas'][number];

const areaPorts = (w: WaitingArea): string[] | null => w.locodes ?? (w.locode ? [w.locode] : null);

/** The waiting area placeStop found (its name starts the excuse; several areas share one name, one per port). */
function waitingAreaOf(place: StopPlace, s: Stop, input: ProbeInput): WaitingArea | null {
  const planned = s.first.plan?.plannedLocodes ?? [];
  const here = input.rules.unscheduledStop.waitingAreas.filter((w) => place.excusedBy!.startsWith(w.name) && kmBetween(w, s.anchor) <= w.radiusKm);
  return here.find((w) => areaPorts(w)?.some((p) => planned.includes(p))) ?? here[0] ?? null;
}

/** Why the area applies to this plan, as the rule decides it: its port(s) planned, else the route passing through it. */
function whyArea(w: WaitingArea, place: StopPlace, s: Stop): string {
  const ports = areaPorts(w);
  const planned = s.first.plan?.plannedLocodes ?? [];
  const why = ports ? `the plan names ${ports.filter((p) => planned.includes(p)).join(', ')}` : s.first.plan?.routeIndex ? "the plan's route passes through it" : 'no planned track, so every area counts';
  // a passage's own terminals are part of its queue: the port nearby is not a call
  const swallowed = place.excusedBy!.endsWith(', on the planned route') && place.nearestPort ? `; a passage, so ${place.nearestPort.name} ${km(place.nearestPort.km)} away is part of its queue, not a call` : '';
  return `${why}${swallowed}`;
}

/**
 * How the stop tracker dated the stop's start (stop-tracker.ts): at its first
 * fix, or, the fix before being in the same place (within swingKm, no faster
 * than a swing), at that fix, or once the way it reported would have covered
 * the distance between them.
 */
function startNote(s: Stop, steps: Step[], st: ProbeInput['rules']['stationary']): string {
  if (s.anchor.eventId === s.first.reading.eventId) return '';
  const prev = steps.find((x) => x.reading.eventId === s.anchor.eventId);
  if (!prev || prev.reading.ts === s.anchor.ts) return ` (backdated to the fix before, in the same place within swingKm ${st.swingKm})`;
  const f = prev.fix;
  return ` (estimated from the fix before, ${when(prev.reading.ts)}, reporting ${kn(f?.speedKn ?? null)})`;
}

function longest(stops: Stop[]): Stop | null {
  let best: Stop | null = null;
  for (const s of stops) if (!best || s.last.fix!.ts - s.anchor.ts > best.last.fix!.ts - best.anchor.ts) best = s;
  return best;
}

/**
 * What ended each stop in the window: two fixes in a row out of it (beyond
 * radiusKm plus both fixes' position error, or reporting more than
 * leaveSpeedKn); the stop ended at the first of them.
 */
function describeSplits(fixes: Step[], input: ProbeInput): string {
  const st = input.rules.stationary;
  const why: string[] = [];
  for (let i = 1; i < fixes.length; i++) {
    const prev = fixes[i - 1]!;
    const s = fixes[i]!;
    const a = prev.stopAnchor;
    if (!a || s.stopAnchor?.eventId === a.eventId) continue;
    // the first fix out was held as an outlier; this one, out too, ended the stop there
    const out = prev.stopOutlier ?? s.fix!;
    why.push(`${when(out.ts)} ${outReason(a, out, st)}${prev.stopOutlier ? ', and the next fix too' : ''}`);
  }
  if (why.length === 0) return '';
  return `; stops in the window ended by: ${why.slice(0, 4).join('; ')}${why.length > 4 ? `; and ${why.length - 4} more` : ''}`;
}

function outReason(anchor: Fix, f: Fix, st: ProbeInput['rules']['stationary']): string {
  const hdop = f.hdop !== null ? `, hdop ${f.hdop}` : '';
  if (f.speedKn !== null && f.speedKn > st.leaveSpeedKn) return `under way (reported ${kn(f.speedKn)} > leaveSpeedKn ${st.leaveSpeedKn}${hdop})`;
  const allowed = st.radiusKm + fixErrorKm(anchor, st) + fixErrorKm(f, st);
  return `fix ${km(kmBetween(anchor, f))} from the stop's first fix (> radiusKm ${st.radiusKm} + position error = ${km(allowed)}${hdop})`;
}
