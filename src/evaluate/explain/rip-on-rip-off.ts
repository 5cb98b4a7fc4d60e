import { placeStop } from '../../rules/unscheduled-stop.js';
import { activeSteps, contextAt, derivedKn, dur, inWindow, km, kn, pos, result, when, zonesOf, type Probe, type ProbeInput } from './probe.js';
import type { Step } from './trace.js';

/**
 * RIP_ON_RIP_OFF: each opening in the window, judged as the rule judges it:
 * stationary when it opened (a recent fix in a stop, speed at most
 * stationary.maxSpeedKn; else maxSpeedKn / speed), closed again within
 * maxOpenMs (else maxOpenMs / time open), outside every zone (else 0). The
 * score is the lowest of the three.
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
      const j = judge(s, steps, i, input);
      if (!best || j.score > best.score) best = { ...j, at: r.ts };
    }
    if (!best) return result(this.rule, 0, 'no door opening in the window');
    return result(this.rule, best.score, `${best.reason}${count > 1 ? ` (best of ${count} openings)` : ''}`, best.at);
  },
};

function judge(open: Step, steps: Step[], i: number, input: ProbeInput): { score: number; reason: string } {
  const cfg = input.rules;
  const ts = open.reading.ts;
  const fix = open.fix;
  const parts: string[] = [`opened ${when(ts)}`];
  let stationary: number;
  if (!fix || Math.abs(ts - fix.ts) > cfg.doorOpen.fixMaxAgeMs) {
    stationary = 0;
    parts.push(fix ? `last fix ${dur(Math.abs(ts - fix.ts))} away (fixMaxAgeMs ${dur(cfg.doorOpen.fixMaxAgeMs)}): not known to be stopped` : 'no fix yet');
  } else if (!open.stopAnchor || (fix.speedKn !== null && fix.speedKn > cfg.stationary.maxSpeedKn)) {
    const speed = fix.speedKn ?? derivedKn(open.prevFix, fix);
    stationary = speed ? Math.min(0.99, cfg.stationary.maxSpeedKn / speed) : 0;
    parts.push(`under way (${kn(speed)}, stationary up to ${cfg.stationary.maxSpeedKn} kn)`);
  } else {
    stationary = 1;
    const place = placeStop(open.stopAnchor, contextAt(open, input));
    const zone = zonesOf(open, open.stopAnchor);
    parts.push(`in a stop since ${when(open.stopAnchor.ts)} at ${pos(open.stopAnchor)}${zone.nearest ? `, ${km(zone.nearestKm)} outside ${zone.nearest.name}` : ''}${place.unplannedPort ? `, at ${place.unplannedPort.name}` : ''}`);
  }
  let closed: Step | null = null;
  for (let k = i + 1; k < steps.length && !closed; k++) {
    const s = steps[k]!;
    if (s.reading.kind === 'door' && s.doorChanged && !s.reading.open) closed = s;
  }
  const last = steps[steps.length - 1]!.reading.ts;
  const openFor = (closed ? closed.reading.ts : last) - ts;
  let dwell = openFor <= cfg.ripOnRipOff.maxOpenMs ? 1 : cfg.ripOnRipOff.maxOpenMs / openFor;
  if (!closed) dwell = Math.min(dwell, 0.99);
  parts.push(closed ? `closed after ${dur(openFor)} (maxOpenMs ${dur(cfg.ripOnRipOff.maxOpenMs)})` : `never closed in the data (open ${dur(openFor)} at its end)`);
  const inside = open.stopAnchor ? zonesOf(open, open.stopAnchor).inside : null;
  if (inside) parts.push(`inside ${inside.name}`);
  return { score: Math.min(stationary, dwell, inside ? 0 : 1), reason: parts.join(', ') };
}
