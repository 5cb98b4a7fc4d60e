import { activeSteps, dur, hhmm, inWindow, result, type Probe } from './probe.js';
import type { Step } from './trace.js';

/**
 * LIGHT_WITH_DOOR_CLOSED: light readings taken with the door closed for at
 * least doorClosedGraceMs. The rule fires on two consecutive readings over
 * luxThreshold or one over strongLuxThreshold, so a reading scores the larger
 * of lux / strongLuxThreshold and (the lower of it and the next reading's
 * lux) / luxThreshold. Light with the door open or just closed is reported,
 * not scored.
 */
export const lightWithDoorClosedProbe: Probe = {
  rule: 'LIGHT_WITH_DOOR_CLOSED',
  run(input) {
    const cfg = input.rules.lightWithDoorClosed;
    const steps = activeSteps(input.trace);
    // a door opening ends an episode: consecutive light readings are those with no opening between them
    const runs: Step[][] = [[]];
    for (const s of steps) {
      if (s.reading.kind === 'door' && s.reading.open) runs.push([]);
      else if (s.reading.kind === 'light') runs[runs.length - 1]!.push(s);
    }
    const eligible = (s: Step) => s.door === 'closed' && s.reading.ts - s.doorSince >= cfg.doorClosedGraceMs;
    const lux = (s: Step) => (s.reading.kind === 'light' ? s.reading.lux : 0);
    let best: { score: number; step: Step; next: Step | null } | null = null;
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
        const next = run[i + 1] && eligible(run[i + 1]!) ? run[i + 1]! : null;
        const score = Math.max(lux(s) / cfg.strongLuxThreshold, next ? Math.min(lux(s), lux(next)) / cfg.luxThreshold : 0);
        if (!best || score > best.score) best = { score, step: s, next };
      });
    }
    const notes: string[] = [];
    if (openMax >= 0) notes.push(`up to ${Math.round(openMax)} lux with the door open`);
    if (graceOver) notes.push(`${graceOver} reading(s) over ${cfg.luxThreshold} lux within doorClosedGraceMs (${dur(cfg.doorClosedGraceMs)}) of closing`);
    if (unknown) notes.push(`${unknown} reading(s) before any door reading (door state unknown)`);
    const tail = notes.length ? `; ${notes.join('; ')}` : '';
    const b = best as { score: number; step: Step; next: Step | null } | null;
    if (!b) return result(this.rule, 0, `${seen ? 'no light reading with the door closed' : 'no light reading'} in the window${tail}`);
    const then = b.next ? `, next ${Math.round(lux(b.next))} lux at ${hhmm(b.next.reading.ts)}` : ', no closed-door reading right after';
    return result(this.rule, b.score, `${Math.round(lux(b.step))} lux at ${hhmm(b.step.reading.ts)} with the door closed${then} (luxThreshold ${cfg.luxThreshold} twice in a row, or strongLuxThreshold ${cfg.strongLuxThreshold} once)${tail}`, b.step.reading.ts);
  },
};
