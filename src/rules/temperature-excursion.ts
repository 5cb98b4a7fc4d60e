import { fmtDuration } from './door-opening.js';
import { defineRule, type RuleContext } from './rule.js';

/**
 * TEMPERATURE_EXCURSION: a reefer outside setpoint +/- tolerance for longer
 * than `sustainMs` (45 min: a normal defrost cycle lifts the air temperature
 * for 20-40 min and must not alert). The setpoint and tolerance come from the
 * trip plan, else from the reading's own setpoint with the default tolerance;
 * a dry container (neither) is not judged here.
 */
interface Episode {
  startTs: number;
  startEventId: string;
  lastTs: number;
  peakC: number;
  peakDev: number;
  evidence: string[];
  raised: boolean;
}
interface State {
  episode: Episode | null;
}

export const temperatureExcursion = defineRule<State>({
  id: 'TEMPERATURE_EXCURSION',
  kinds: ['temperature'],
  initialState: () => ({ episode: null }),
  idle: (s) => s.episode === null,
  onReading(state, r, ctx) {
    if (r.kind !== 'temperature') return;
    const band = reeferBand(ctx, r.setpointC);
    if (!band) return;
    const dev = r.celsius - band.setpointC;
    if (Math.abs(dev) <= band.toleranceC) {
      state.episode = null;
      ctx.cancelTimer('sustain');
      return;
    }
    let ep = state.episode;
    if (!ep) {
      ep = state.episode = { startTs: r.ts, startEventId: r.eventId, lastTs: r.ts, peakC: r.celsius, peakDev: dev, evidence: [], raised: false };
      ctx.setTimer(r.ts + ctx.rules.temperatureExcursion.sustainMs, 'sustain');
    }
    ep.lastTs = r.ts;
    if (Math.abs(dev) > Math.abs(ep.peakDev)) {
      ep.peakDev = dev;
      ep.peakC = r.celsius;
    }
    if (ep.evidence.length < 20) ep.evidence.push(r.eventId);
    if (!ep.raised && r.ts - ep.startTs >= ctx.rules.temperatureExcursion.sustainMs) raise(ep, band, r.ts, ctx, false);
  },
  onTimer(state, at, _key, ctx) {
    const ep = state.episode;
    if (!ep || ep.raised) return;
    const band = reeferBand(ctx, undefined);
    if (band) raise(ep, band, at, ctx, true);
  },
});

/** A reefer's band: the plan's setpoint and tolerance, else the reading's setpoint with the default tolerance; null for a dry box. */
export function reeferBand(ctx: RuleContext, readingSetpoint: number | undefined): Readonly<{ setpointC: number; toleranceC: number }> | null {
  const reefer = ctx.view.plan?.plan.reefer;
  // (the plan's own object, read only: no object per reading)
  if (reefer) return reefer;
  if (readingSetpoint !== undefined) return { setpointC: readingSetpoint, toleranceC: ctx.rules.temperatureExcursion.defaultToleranceC };
  return null;
}

function raise(ep: Episode, band: { setpointC: number; toleranceC: number }, at: number, ctx: RuleContext, silent: boolean): void {
  ep.raised = true;
  const fix = ctx.view.fix;
  const dir = ep.peakDev > 0 ? 'above' : 'below';
  ctx.raise({
    severity: Math.abs(ep.peakDev) >= band.toleranceC * 3 ? 'high' : 'medium',
    incidentKey: ep.startEventId,
    startedAt: ep.startTs,
    detectedAt: at,
    location: fix ? { lat: fix.lat, lon: fix.lon } : null,
    summary: `Reefer at ${ep.peakC.toFixed(1)} °C, ${Math.abs(ep.peakDev).toFixed(1)} °C ${dir} its ${band.setpointC.toFixed(1)} °C setpoint (tolerance ±${band.toleranceC} °C) for ${fmtDuration(at - ep.startTs)}${silent ? ', no reading back in range since' : ''}`,
    evidence: [...ep.evidence],
    details: { peakC: ep.peakC, setpointC: band.setpointC, toleranceC: band.toleranceC, durationMin: Math.round((at - ep.startTs) / 60000) },
  });
}
