import type { Fix } from '../../rules/rule.js';
import { placeStop } from '../../rules/unscheduled-stop.js';
import { activeSteps, contextAt, derivedKn, dur, hhmm, inWindow, km, kn, pos, result, when, zonesOf, type Probe, type ProbeInput } from './probe.js';
import type { Step } from './trace.js';

/**
 * RIP_ON_RIP_OFF: each opening in the window, judged as the rule judges it,
 * on the three things it needs, the score the lowest of them:
 * - stopped when it opened: the latest fix (up to bracketMaxMs old) part of a
 *   stop (1). An opening before a stop was seen waits for the next fixes: one
 *   in a stop that began by the opening + fixMaxAgeMs places it (1), and a
 *   close that came before that fix waits with it; a fix later than
 *   fixMaxAgeMs after the opening (or its close) with no such stop gives up.
 *   Not placed: how near the fixes came, stationary.maxSpeedKn / speed, or
 *   fixMaxAgeMs / how long after the opening the stop they showed began;
 *   no fix at all, 0;
 * - closed again within maxOpenMs (else maxOpenMs / time open; never closed,
 *   at most 0.99), the same stop still going on at the close (else 0);
 * - outside every authorised zone (else 0).
 */
export const ripOnRipOffProbe: Probe = {
  rule: 'RIP_ON_RIP_OFF',
  run(input) {
    const steps = activeSteps(input.trace);
    let best: { score: number; reason: string; at: number } | null = null;
    let count = 0;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      const r = s.reading;
      if (r.kind !== 'door' || !r.open || !s.doorChanged || !inWindow(r.ts, input)) continue;
      count++;
      const j = judge(steps, i, input);
      if (!best || j.score > best.score) best = { ...j, at: r.ts };
    }
    if (!best) return result(this.rule, 0, 'no door opening in the window');
    return result(this.rule, best.score, `${best.reason}${count > 1 ? ` (best of ${count} openings)` : ''}`, best.at);
  },
};

interface Placement {
  /** The stop the opening happened in, if the rule found one. */
  anchor: Fix | null;
  /** The step that showed it: the opening itself, or a later fix. */
  by: Step | null;
  /** Its index in the steps. */
  at: number;
  score: number;
  text: string;
}

function judge(steps: Step[], i: number, input: ProbeInput): { score: number; reason: string } {
  const open = steps[i]!;
  const ts = open.reading.ts;
  const cfg = input.rules;
  // the close (the next change of the door); the opening after it starts afresh
  let close: number | null = null;
  for (let k = i + 1; k < steps.length && close === null; k++) if (steps[k]!.reading.kind === 'door' && steps[k]!.doorChanged) close = k;
  const placed = place(steps, i, close, input);
  const parts = [`opened ${when(ts)}`, placed.text];
  let dwell = 0;
  let inside: string | null = null;
  if (placed.anchor) {
    const anchor = placed.anchor;
    const closing = close === null ? null : steps[close]!;
    const last = steps[steps.length - 1]!.reading.ts;
    const openFor = (closing ? closing.reading.ts : last) - ts;
    dwell = openFor <= cfg.ripOnRipOff.maxOpenMs ? 1 : cfg.ripOnRipOff.maxOpenMs / openFor;
    // placed at the opening (or by a fix before the close), the close must find the same stop still on
    const closedBeforePlacing = close !== null && placed.at > i && close < placed.at;
    const sameStop = closing === null || closedBeforePlacing || closing.stopAnchor?.eventId === anchor.eventId;
    if (!closing) {
      dwell = Math.min(dwell, 0.99);
      parts.push(`never closed in the data (open ${dur(openFor)} at its end)`);
    } else if (!sameStop) {
      dwell = 0;
      parts.push(`closed after ${dur(openFor)}, but the stop had ended by then (the rule needs the same stop at the close)`);
    } else parts.push(`closed after ${dur(openFor)} (maxOpenMs ${dur(cfg.ripOnRipOff.maxOpenMs)})`);
    inside = zonesOf(placed.by ?? open, anchor).inside?.name ?? null;
    if (inside) parts.push(`inside ${inside}: an authorised zone`);
  }
  return { score: Math.min(placed.score, placed.anchor ? dwell : 1, inside ? 0 : 1), reason: parts.join(', ') };
}

/** Whether, and in which stop, the rule saw the opening happen. */
function place(steps: Step[], i: number, close: number | null, input: ProbeInput): Placement {
  const open = steps[i]!;
  const ts = open.reading.ts;
  const cfg = input.rules;
  const fix = open.fix;
  if (open.stopAnchor && fix && open.inStop && Math.abs(ts - fix.ts) <= cfg.doorOpen.bracketMaxMs) {
    if (fix.speedKn !== null && fix.speedKn > cfg.stationary.leaveSpeedKn)
      return { anchor: null, by: open, at: i, score: Math.min(0.99, cfg.stationary.leaveSpeedKn / fix.speedKn), text: `the last fix reports ${kn(fix.speedKn)}, over leaveSpeedKn ${cfg.stationary.leaveSpeedKn}` };
    return { anchor: open.stopAnchor, by: open, at: i, score: 1, text: `in a stop since ${when(open.stopAnchor.ts)} at ${pos(open.stopAnchor)}${where(open, open.stopAnchor, input)} (last fix ${hhmm(fix.ts)})` };
  }
  // no stop seen yet: the next fixes decide
  const waitMs = cfg.doorOpen.fixMaxAgeMs;
  const why = !fix ? 'no fix yet' : !open.inStop ? `the last fix (${hhmm(fix.ts)}) not part of a stop` : `the last fix ${dur(Math.abs(ts - fix.ts))} old (bracketMaxMs ${dur(cfg.doorOpen.bracketMaxMs)})`;
  let best: Placement = { anchor: null, by: null, at: -1, score: 0, text: `${why}; no fix after it to show a stop` };
  for (let k = i + 1; k < steps.length; k++) {
    const s = steps[k]!;
    const r = s.reading;
    if (r.kind === 'door' && r.open && s.doorChanged) break;
    if (r.kind !== 'location') continue;
    const closedTs = close !== null && close < k ? steps[close]!.reading.ts : null;
    const a = s.inStop ? s.stopAnchor : null;
    if (a && a.ts - ts <= waitMs)
      return { anchor: a, by: s, at: k, score: 1, text: `${why}; the fix at ${hhmm(r.ts)} showed a stop since ${when(a.ts)} at ${pos(a)}${where(s, a, input)} (began by the opening + fixMaxAgeMs ${dur(waitMs)})` };
    const f = s.fix!;
    const speed = f.speedKn ?? derivedKn(s.prevFix, f);
    const near = a
      ? { score: Math.min(0.99, waitMs / (a.ts - ts)), text: `${why}; the fix at ${hhmm(r.ts)} showed a stop since ${when(a.ts)}, ${dur(a.ts - ts)} after the opening (fixMaxAgeMs ${dur(waitMs)})` }
      : {
          score: speed === null ? 0 : Math.min(0.99, speed === 0 ? Infinity : cfg.stationary.maxSpeedKn / speed),
          text: `${why}; the fix at ${hhmm(r.ts)} not in a stop either (${kn(speed)}; a stop starts at ${cfg.stationary.maxSpeedKn} kn)`,
        };
    if (near.score >= best.score) best = { anchor: null, by: s, at: k, ...near };
    if (r.ts - (closedTs ?? ts) > waitMs) break;
  }
  return best;
}

/** The stop's place as the rule names it: an unplanned port, the nearest zone. */
function where(step: Step, anchor: Fix, input: ProbeInput): string {
  const place = placeStop(anchor, contextAt(step, input));
  const zone = zonesOf(step, anchor);
  return `${zone.nearest && !zone.inside ? `, ${km(zone.nearestKm)} outside ${zone.nearest.name}` : ''}${place.unplannedPort ? `, at ${place.unplannedPort.name}` : ''}`;
}
