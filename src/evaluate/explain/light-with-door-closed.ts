import { activeSteps, dur, hhmm, inWindow, result, type Probe, type ProbeInput } from './probe.js';
import type { Step } from './trace.js';

/** The rule keeps this many recent intervals between light readings. */
const INTERVALS = 7;

/**
 * LIGHT_WITH_DOOR_CLOSED: light readings taken with the door closed for at
 * least doorClosedGraceMs. The rule fires on two consecutive readings over
 * luxThreshold, one over strongLuxThreshold, or, from a device that reports
 * light on change (the dark reading came within a quarter of its usual
 * interval), one lit reading that held confirmWithinMs until the dark one.
 * So a reading scores the largest of lux / strongLuxThreshold, (the lower of
 * it and the next reading's lux) / luxThreshold, and, lit and followed by a
 * dark reading on change, the time it held / confirmWithinMs. Light with the
 * door open or just closed is reported, not scored.
 */
export const lightWithDoorClosedProbe: Probe = {
  rule: 'LIGHT_WITH_DOOR_CLOSED',
  run(input) {
    const cfg = input.rules.lightWithDoorClosed;
    const steps = activeSteps(input.trace);
    const change = reportedOnChange(input);
    // a door opening ends an episode: consecutive light readings are those with no opening between them
    const runs: Step[][] = [[]];
    for (const s of steps) {
      if (s.reading.kind === 'door' && s.reading.open) runs.push([]);
      else if (s.reading.kind === 'light') runs[runs.length - 1]!.push(s);
    }
    const eligible = (s: Step) => s.door === 'closed' && s.reading.ts - s.doorSince >= cfg.doorClosedGraceMs;
    const lux = (s: Step) => (s.reading.kind === 'light' ? s.reading.lux : 0);
    type Best = { score: number; step: Step; next: Step | null; held: string };
    let best: Best | null = null;
    let seen = 0;
    let openMax = -1;
    let graceOver = 0;
    let unknown = 0;
    for (const run of runs) {
      run.forEach((s, i) => {
        if (!inWindow(s.reading.ts, input)) return;
        seen++;
        if (!eligible(s)) {
          if (s.door === 'open') openMax = Math.max(openMax, lux(s));
          else if (s.door === 'unknown') unknown++;
          else if (lux(s) >= cfg.luxThreshold) graceOver++;
          return;
        }
        const after = run[i + 1] ?? null;
        const next = after && eligible(after) ? after : null;
        let score = Math.max(lux(s) / cfg.strongLuxThreshold, next ? Math.min(lux(s), lux(next)) / cfg.luxThreshold : 0);
        // lit, then dark with the door still closed: held long enough, from a device reporting on change
        let held = '';
        if (after && lux(s) >= cfg.luxThreshold && after.door === 'closed' && lux(after) < cfg.luxThreshold) {
          const c = change.get(after.reading.eventId);
          const ms = after.reading.ts - s.reading.ts;
          if (c?.onChange) score = Math.max(score, ms / cfg.confirmWithinMs);
          held = c?.onChange
            ? `; dark again ${dur(ms)} later, reported on change (within a quarter of its usual ${dur(c.usual)}): lit that long (confirmWithinMs ${dur(cfg.confirmWithinMs)})`
            : `; dark again ${dur(ms)} later on its usual reporting${c && c.usual > 0 ? ` (${dur(c.usual)})` : ''}: one lit reading is not confirmed`;
        }
        if (!best || score > best.score) best = { score, step: s, next, held };
      });
    }
    const notes: string[] = [];
    if (openMax >= 0) notes.push(`up to ${Math.round(openMax)} lux with the door open`);
    if (graceOver) notes.push(`${graceOver} reading(s) over ${cfg.luxThreshold} lux within doorClosedGraceMs (${dur(cfg.doorClosedGraceMs)}) of closing`);
    if (unknown) notes.push(`${unknown} reading(s) before any door reading (door state unknown)`);
    const tail = notes.length ? `; ${notes.join('; ')}` : '';
    const b = best as Best | null;
    if (!b) return result(this.rule, 0, `${seen ? 'no light reading with the door closed' : 'no light reading'} in the window${tail}`);
    const then = b.next ? `, next ${Math.round(lux(b.next))} lux at ${hhmm(b.next.reading.ts)}` : ', no closed-door reading right after';
    return result(
      this.rule,
      b.score,
      `${Math.round(lux(b.step))} lux at ${hhmm(b.step.reading.ts)} with the door closed${then} (luxThreshold ${cfg.luxThreshold} twice in a row, or strongLuxThreshold ${cfg.strongLuxThreshold} once)${b.held}${tail}`,
      b.step.reading.ts,
    );
  },
};

/**
 * For each light reading the rules evaluated: whether it came far sooner
 * than the device's usual light readings (a quarter of the median of its
 * recent intervals, this one included, three at least), as the rule tells a
 * device reporting on change; intervals learnt from the yard days on, per trip.
 */
function reportedOnChange(input: ProbeInput): Map<string, { onChange: boolean; usual: number }> {
  const out = new Map<string, { onChange: boolean; usual: number }>();
  let trip: string | null | undefined;
  let intervals: number[] = [];
  let lastTs = NaN;
  for (const s of input.trace.steps) {
    const r = s.reading;
    if (r.tripId !== trip) {
      trip = r.tripId;
      intervals = [];
      lastTs = NaN;
    }
    const learnt = !s.active && s.plan !== null && r.ts < s.plan.departure;
    if (r.kind !== 'light' || !(s.active || learnt)) continue;
    const since = r.ts - lastTs;
    if (Number.isFinite(lastTs) && r.ts > lastTs) {
      intervals.push(r.ts - lastTs);
      if (intervals.length > INTERVALS) intervals.shift();
    }
    lastTs = r.ts;
    if (!s.active) continue;
    const sorted = [...intervals].sort((a, b) => a - b);
    const usual = sorted.length ? sorted[sorted.length >> 1]! : 0;
    out.set(r.eventId, { onChange: sorted.length >= 3 && since * 4 <= usual, usual });
  }
  return out;
}
