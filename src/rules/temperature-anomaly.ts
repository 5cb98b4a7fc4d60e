import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { fmtDuration } from './door-opening.js';
import { defineRule } from './rule.js';

/**
 * TEMPERATURE_ANOMALY: temperature unlike the container's own recent history,
 * judged with robust statistics: the median of its last 26 h of readings (a
 * whole day, so a dry box's daily cycle is part of its normal) and
 * 1.4826 x their median absolute deviation as sigma (floored at the sensor's
 * resolution). Anomalous for an hour or more (longer than a defrost), at least
 * `robustZ` sigmas and `minDelta` degrees away. Reefers are judged inside
 * their band only (outside it is TEMPERATURE_EXCURSION's); dry boxes with a
 * wider minimum, since their air follows the weather.
 */
interface Episode { startTs: number; startEventId: string; count: number; peakC: number; baseline: number; sigma: number; raised: boolean; evidence: string[] }
interface State { ts: number[]; values: number[]; episode: Episode | null }

export const temperatureAnomaly = defineRule<State>({
  id: 'TEMPERATURE_ANOMALY',
  initialState: () => ({ ts: [], values: [], episode: null }),
  onReading(state, r, ctx) {
    if (r.kind !== 'temperature') return;
    const cfg = ctx.rules.temperatureAnomaly;
    const reefer = ctx.view.plan?.plan.reefer ?? (r.setpointC !== undefined ? { setpointC: r.setpointC, toleranceC: ctx.rules.temperatureExcursion.defaultToleranceC } : null);
    if (reefer && Math.abs(r.celsius - reefer.setpointC) > reefer.toleranceC) {
      state.episode = null; // the excursion rule's domain
      return;
    }
    while (state.ts.length && (state.ts[0]! < r.ts - cfg.baselineMs || state.ts.length > cfg.maxBaselineReadings)) {
      state.ts.shift();
      state.values.shift();
    }
    const span = state.ts.length ? r.ts - state.ts[0]! : 0;
    if (state.values.length < cfg.minBaselineReadings || span < (reefer ? cfg.minBaselineSpanReeferMs : cfg.minBaselineSpanDryMs)) {
      push(state, r.ts, r.celsius);
      return;
    }
    const base = median(state.values);
    const sigma = Math.max(cfg.minSigmaC, 1.4826 * medianAbsoluteDeviation(state.values));
    const dev = r.celsius - base;
    const minDelta = reefer ? cfg.minDeltaReeferC : cfg.minDeltaDryC;
    if (Math.abs(dev) < Math.max(cfg.robustZ * sigma, minDelta)) {
      state.episode = null;
      push(state, r.ts, r.celsius);
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

function push(state: State, ts: number, c: number): void {
  state.ts.push(ts);
  state.values.push(c);
}
