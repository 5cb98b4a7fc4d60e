import { reeferBand } from '../../rules/temperature-excursion.js';
import { activeSteps, contextAt, dur, hhmm, inWindow, result, when, type Probe } from './probe.js';
import type { Step } from './trace.js';

/**
 * TEMPERATURE_EXCURSION: the reefer's band as the rule reads it (plan, else
 * the reading's setpoint with defaultToleranceC). Never outside the band: the
 * largest deviation / tolerance (at most 0.99: at the tolerance is inside).
 * Outside it, the longest run starting in the window / sustainMs, counted as
 * the rule counts it: from the first reading outside to the last one outside
 * (a reading back inside ends it, however long after), or to its timer at
 * sustainMs, which fires only once the clock less allowedLatenessMs has
 * passed it before the reading back inside came.
 */
export const temperatureExcursionProbe: Probe = {
  rule: 'TEMPERATURE_EXCURSION',
  run(input) {
    const sustain = input.rules.temperatureExcursion.sustainMs;
    const lateness = input.engine.allowedLatenessMs;
    let band: { setpointC: number; toleranceC: number } | null = null;
    let maxDev = 0;
    let maxDevAt = 0;
    type Run = { start: number; lastOut: number; peak: number; activeUntil: number };
    let run: Run | null = null;
    let trip: string | null | undefined;
    let best: { run: Run; held: number; back: Step | null; timer: boolean } | null = null;
    const close = (back: Step | null) => {
      if (!run) return;
      // the rule's timer: believed before the reading back inside (or the input's end) was taken in
      const clock = back ? Math.min(back.reading.receivedAt - lateness, back.reading.ts) : input.trace.inputEnd - lateness;
      const timed = Math.min(clock, run.activeUntil) - run.start;
      const held = Math.max(run.lastOut - run.start, timed >= sustain ? timed : 0);
      if (inWindow(run.start, input) && (!best || held > best.held)) best = { run, held, back, timer: held > run.lastOut - run.start };
      run = null;
    };
    for (const s of activeSteps(input.trace)) {
      const r = s.reading;
      if (r.tripId !== trip) {
        run = null;
        trip = r.tripId;
      }
      if (r.kind !== 'temperature') continue;
      const b = reeferBand(contextAt(s, input), r.setpointC);
      if (!b) continue;
      band = b;
      const dev = r.celsius - b.setpointC;
      if (inWindow(r.ts, input) && Math.abs(dev) > Math.abs(maxDev)) {
        maxDev = dev;
        maxDevAt = r.ts;
      }
      if (Math.abs(dev) <= b.toleranceC) close(s);
      else if (!run) run = { start: r.ts, lastOut: r.ts, peak: dev, activeUntil: s.plan?.activeUntil ?? Infinity };
      else {
        run.lastOut = r.ts;
        if (Math.abs(dev) > Math.abs(run.peak)) run.peak = dev;
      }
    }
    close(null);
    if (!band) return result(this.rule, null, 'not a reefer: no setpoint in the plan or the readings');
    const bnd = band as { setpointC: number; toleranceC: number };
    const bandText = `setpoint ${bnd.setpointC} °C ±${bnd.toleranceC}`;
    const found = best as { run: Run; held: number; back: Step | null; timer: boolean } | null;
    if (!found)
      return result(this.rule, Math.min(0.99, Math.abs(maxDev) / bnd.toleranceC), `never outside the band in the window: largest deviation ${fmt(maxDev)} °C${maxDevAt ? ` at ${when(maxDevAt)}` : ''} (${bandText})`, maxDevAt || null);
    const { run: r, back } = found;
    const end = found.timer ? `its timer believed ${dur(found.held)} on (allowedLatenessMs ${dur(lateness)})` : `the last reading outside ${dur(r.lastOut - r.start)} on`;
    const backText = back ? `; back inside at ${hhmm(back.reading.ts)}, ${dur(back.reading.ts - r.start)} after the first (the rule counts to its last reading outside)` : '; not back inside in the data';
    return result(this.rule, found.held / sustain, `outside the band from ${when(r.start)}, ${end}, peak ${fmt(r.peak)} °C (${bandText}; sustainMs ${dur(sustain)})${backText}`, r.start);
  },
};

function fmt(dev: number): string {
  return `${dev >= 0 ? '+' : ''}${dev.toFixed(1)}`;
}
