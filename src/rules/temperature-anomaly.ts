import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { fmtDuration } from './door-opening.js';
import { defineRule } from './rule.js';

/**
 * TEMPERATURE_ANOMALY: temperature unlike the container's own recent history,
 * judged with robust statistics: the rolling median of the last readings and
 * 1.4826 x their median absolute deviation as sigma (floored at the sensor's
 * resolution). Anomalous for an hour or more (longer than a defrost), at least
 * `robustZ` sigmas and `minDelta` degrees away. Reefers are judged inside
 * their band only (outside it is TEMPERATURE_EXCURSION's); dry boxes with a
 * wider minimum, since their air follows the weather.
 */
interface Episode { startTs: number; startEventId: string; count: number; peakC: number; baseline: number; sigma: number; raised: boolean; evidence: string[] }
interface State { window: number[]; episode: Episode | null }

export const temperatureAnomaly = defineRule<State>({
  id: 'TEMPERATURE_ANOMALY',
  initialState: () => ({ window: [], episode: null }),
  onReading(state, r, ctx) {
    if (r.kind !== 'temperature') return;
    const cfg = ctx.rules.temperatureAnomaly;
    const reefer = ctx.view.plan?.plan.reefer ?? (r.setpointC !== undefined ? { setpointC: r.setpointC, toleranceC: ctx.rules.temperatureExcursion.defaultToleranceC } : null);
    if (reefer && Math.abs(r.celsius - reefer.setpointC) > reefer.toleranceC) {
      state.episode = null; // the excursion rule's domain
      return;
    }
    if (state.window.length < cfg.minBaselineReadings) {
      push(state.window, r.celsius, cfg.windowReadings);
      return;
    }
    const base = median(state.window);
    const sigma = Math.max(cfg.minSigmaC, 1.4826 * medianAbsoluteDeviation(state.window));
    const dev = r.celsius - base;
    const minDelta = reefer ? cfg.minDeltaReeferC : cfg.minDeltaDryC;
    if (Math.abs(dev) < Math.max(cfg.robustZ * sigma, minDelta)) {
      state.episode = null;
      push(state.window, r.celsius, cfg.windowReadings);
      return;
    }
    // Anomalous readings stay out of the baseline, so a sustained anomaly cannot become the new normal at once.
    const ep = (state.episode ??= { startTs: r.ts, startEventId: r.eventId, count: 0, peakC: r.celsius, baseline: base, sigma, raised: false, evidence: [] });
    ep.count++;
    if (Math.abs(r.celsius - ep.baseline) > Math.abs(ep.peakC - ep.baseline)) ep.peakC = r.celsius;
    if (ep.evidence.length < 20) ep.evidence.push(r.eventId);
    if (ep.raised || ep.count < cfg.minReadings || r.ts - ep.startTs < cfg.sustainMs) return;
    ep.raised = true;
    const fix = ctx.view.fix;
    ctx.raise({
      severity: reefer ? 'medium' : 'low',
      incidentKey: ep.startEventId,
      startedAt: ep.startTs,
      detectedAt: r.ts,
      location: fix ? { lat: fix.lat, lon: fix.lon } : null,
      summary: `Temperature ${ep.peakC.toFixed(1)} °C for ${fmtDuration(r.ts - ep.startTs)}, ${Math.abs(ep.peakC - ep.baseline).toFixed(1)} °C ${ep.peakC > ep.baseline ? 'above' : 'below'} this container's recent median of ${ep.baseline.toFixed(1)} °C (${(Math.abs(ep.peakC - ep.baseline) / ep.sigma).toFixed(1)} robust sigmas)${reefer ? ', still inside the reefer band' : ''}: unlike its own history`,
      evidence: [...ep.evidence],
      details: { peakC: ep.peakC, baselineC: Math.round(ep.baseline * 10) / 10, sigmaC: Math.round(ep.sigma * 100) / 100, readings: ep.count },
    });
  },
});

function push(window: number[], x: number, max: number): void {
  window.push(x);
  if (window.length > max) window.shift();
}
