import { reeferBand } from '../../rules/temperature-excursion.js';
import { activeSteps, contextAt, dur, inWindow, result, when, type Probe } from './probe.js';

/**
 * TEMPERATURE_EXCURSION: the reefer's band as the rule reads it (plan, else
 * the reading's setpoint with defaultToleranceC). Never outside the band: the
 * largest deviation / tolerance. Outside it: the longest run (first reading
 * outside to the first back inside, or to the end of the data) / sustainMs.
 */
export const temperatureExcursionProbe: Probe = {
  rule: 'TEMPERATURE_EXCURSION',
  run(input) {
    const sustain = input.rules.temperatureExcursion.sustainMs;
    const steps = activeSteps(input.trace);
    const end = steps.length ? steps[steps.length - 1]!.reading.ts : 0;
    let band: { setpointC: number; toleranceC: number } | null = null;
    let maxDev = 0;
    let maxDevAt = 0;
    let run: { start: number; peak: number } | null = null;
    let best: { start: number; length: number; peak: number; open: boolean } | null = null;
    const close = (at: number, open: boolean) => {
      if (run && inWindow(run.start, input) && (!best || at - run.start > best.length)) best = { start: run.start, length: at - run.start, peak: run.peak, open };
      run = null;
    };
    for (const s of steps) {
      const r = s.reading;
      if (r.kind !== 'temperature') continue;
      const b = reeferBand(contextAt(s, input), r.setpointC);
      if (!b) continue;
      band = b;
      const dev = r.celsius - b.setpointC;
      if (inWindow(r.ts, input) && Math.abs(dev) > Math.abs(maxDev)) {
        maxDev = dev;
        maxDevAt = r.ts;
      }
      if (Math.abs(dev) <= b.toleranceC) close(r.ts, false);
      else if (!run) run = { start: r.ts, peak: dev };
      else if (Math.abs(dev) > Math.abs(run.peak)) run.peak = dev;
    }
    close(end, true);
    if (!band) return result(this.rule, null, 'not a reefer: no setpoint in the plan or the readings');
    const bnd = band as { setpointC: number; toleranceC: number };
    const bandText = `setpoint ${bnd.setpointC} °C ±${bnd.toleranceC}`;
    const b = best as { start: number; length: number; peak: number; open: boolean } | null;
    if (!b) return result(this.rule, Math.abs(maxDev) / bnd.toleranceC, `never outside the band in the window: largest deviation ${fmt(maxDev)} °C${maxDevAt ? ` at ${when(maxDevAt)}` : ''} (${bandText})`, maxDevAt || null);
    return result(this.rule, b.length / sustain, `outside the band from ${when(b.start)} for ${dur(b.length)}${b.open ? ' (to the end of the data)' : ''}, peak ${fmt(b.peak)} °C (${bandText}; sustainMs ${dur(sustain)})`, b.start);
  },
};

function fmt(dev: number): string {
  return `${dev >= 0 ? '+' : ''}${dev.toFixed(1)}`;
}
