import { kmBetween, knots } from '../../rules/motion.js';
import type { Fix } from '../../rules/rule.js';
import { placeStop } from '../../rules/unscheduled-stop.js';
import { activeSteps, contextAt, dur, inWindow, km, kn, pos, result, when, type Probe } from './probe.js';
import type { Step } from './trace.js';

interface Stop { anchor: Fix; first: Step; last: Step }

/**
 * UNSCHEDULED_STOP: the longest stop (fixes sharing the engine's stop anchor)
 * that starts in the window, its dwell against minStopMs, and where it was as
 * the rule places it (placeStop). A stop that began before the window is
 * named but not scored (its alert would start outside the window). Also what
 * split the stationary time into several stops, the usual reason a long wait
 * never reaches the threshold.
 */
export const unscheduledStopProbe: Probe = {
  rule: 'UNSCHEDULED_STOP',
  run(input) {
    const cfg = input.rules.unscheduledStop;
    const fixes = activeSteps(input.trace).filter((s) => s.reading.kind === 'location');
    const stops: Stop[] = [];
    for (const s of fixes) {
      const a = s.stopAnchor;
      if (!a) continue;
      const last = stops[stops.length - 1];
      if (last && last.anchor.eventId === a.eventId) last.last = s;
      else stops.push({ anchor: a, first: s, last: s });
    }
    const dwell = (s: Stop) => s.last.fix!.ts - s.anchor.ts;
    const starting = stops.filter((s) => inWindow(s.anchor.ts, input));
    const overlapping = stops.filter((s) => s.anchor.ts < input.from && s.last.fix!.ts >= input.from);
    const splits = describeSplits(fixes.filter((s) => inWindow(s.reading.ts, input)), input.rules.stationary);
    const best = longest(starting);
    const earlier = longest(overlapping);
    // a stop that began before the window would raise an alert starting outside it: told, not scored
    const before = earlier ? `; a stop from ${when(earlier.anchor.ts)}, before the window, lasted ${dur(dwell(earlier))}` : '';
    if (!best) return result(this.rule, 0, `no stop starts in the window (stationary: at most ${input.rules.stationary.maxSpeedKn} kn, within ${input.rules.stationary.radiusKm} km)${before}${splits}`);
    const place = placeStop(best.anchor, contextAt(best.first, input));
    const where = place.excusedBy
      ? `excused: ${place.excusedBy}`
      : place.unplannedPort
        ? `at ${place.unplannedPort.name}, a port the plan does not name (${km(place.unplannedPort.km)})`
        : `outside every zone and excuse${place.nearestPort ? `, nearest port ${place.nearestPort.name} ${km(place.nearestPort.km)}` : ''}`;
    return result(this.rule, dwell(best) / cfg.minStopMs, `longest stop ${dur(dwell(best))} from ${when(best.anchor.ts)} at ${pos(best.anchor)} (minStopMs ${dur(cfg.minStopMs)}); ${where}${before}${splits}`, best.anchor.ts);
  },
};

function longest(stops: Stop[]): Stop | null {
  let best: Stop | null = null;
  for (const s of stops) if (!best || s.last.fix!.ts - s.anchor.ts > best.last.fix!.ts - best.anchor.ts) best = s;
  return best;
}

/** What ended each stop in the window early: a speed over the limit, or a fix farther than the radius from the anchor. */
function describeSplits(fixes: Step[], st: { radiusKm: number; maxSpeedKn: number }): string {
  const why: string[] = [];
  for (let i = 1; i < fixes.length; i++) {
    const prev = fixes[i - 1]!;
    const s = fixes[i]!;
    const a = prev.stopAnchor;
    if (!a || s.stopAnchor?.eventId === a.eventId) continue;
    const f = s.fix!;
    const hdop = f.hdop !== null ? `, hdop ${f.hdop}` : '';
    if (!s.stopAnchor) {
      const speed = f.speedKn !== null ? `reported ${kn(f.speedKn)}` : `${kn(s.prevFix ? knots(Math.max(0, kmBetween(s.prevFix, f) - 0.05), f.ts - s.prevFix.ts) : null)} from the fix before`;
      why.push(`${when(f.ts)} under way (${speed} > ${st.maxSpeedKn} kn${hdop})`);
    } else why.push(`${when(f.ts)} fix ${km(kmBetween(a, f))} from the stop's first fix (> ${st.radiusKm} km${hdop})`);
  }
  if (why.length === 0) return '';
  return `; stops in the window ended by: ${why.slice(0, 4).join('; ')}${why.length > 4 ? `; and ${why.length - 4} more` : ''}`;
}
