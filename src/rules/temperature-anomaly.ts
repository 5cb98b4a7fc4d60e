import { fmtDuration } from './door-opening.js';
import { reeferBand } from './temperature-excursion.js';
import { defineRule, type RuleContext } from './rule.js';
import { RollingBaseline, type SavedBaseline } from './rolling-baseline.js';
import { judgeErratic, NOTHING, pushRecent, type ErraticEpisode, type RecentWindow } from './temperature-erratic.js';

/**
 * TEMPERATURE_ANOMALY: temperature unlike the container's own recent history,
 * judged with robust statistics: the median of its last 26 h of readings (a
 * whole day, so a dry box's daily cycle is part of its normal) and
 * 1.4826 x their median absolute deviation as sigma (floored at the sensor's
 * resolution). Anomalous for an hour or more (longer than a defrost), at least
 * `robustZ` sigmas and `minDelta` degrees away. Reefers are judged inside
 * their band only (outside it is TEMPERATURE_EXCURSION's); dry boxes with a
 * wider minimum, since their air follows the weather. A reefer is also judged
 * on how erratic it is (temperature-erratic.ts): a controlled box whose
 * readings swing by degrees from one to the next is unlike its own history
 * even when its median has not moved. A dry box's air follows the weather, so
 * only its level is judged.
 */
interface Episode {
  startTs: number;
  startEventId: string;
  count: number;
  peakC: number;
  baseline: number;
  sigma: number;
  raised: boolean;
  evidence: string[];
}
/**
 * A container's state: itself the readings of its baseline window (a
 * RollingBaseline, rolling-baseline.ts, whose block is taken at the first
 * reading kept), and the previous reading (prevTs/prevC, for how fast a dry
 * box's air changed), with the level's episode, the erratic window and
 * episode as fields: one object per container, not a state object and a
 * baseline object. Snapshots write it through save/load (engine.ts,
 * SNAPSHOT_CLASSES).
 */
export class AnomalyState extends RollingBaseline {
  episode: Episode | null = null;
  recent: RecentWindow | null = null;
  erratic: ErraticEpisode | null = null;

  static saveState(s: AnomalyState): { baseline: SavedBaseline; episode: Episode | null; recent: RecentWindow | null; erratic: ErraticEpisode | null } {
    return { baseline: RollingBaseline.save(s), episode: s.episode, recent: s.recent, erratic: s.erratic };
  }

  static loadState(d: ReturnType<typeof AnomalyState.saveState>): AnomalyState {
    const s = new AnomalyState();
    RollingBaseline.restore(s, d.baseline);
    s.episode = d.episode;
    s.recent = d.recent;
    s.erratic = d.erratic;
    return s;
  }
}
type State = AnomalyState;

export const temperatureAnomaly = defineRule<State>({
  id: 'TEMPERATURE_ANOMALY',
  kinds: ['temperature'],
  initialState: () => new AnomalyState(),
  learn(state, r, ctx) {
    // the yard days before departure are history too
    if (r.kind !== 'temperature') return;
    const reefer = reeferBand(ctx, r.setpointC);
    if (reefer && Math.abs(r.celsius - reefer.setpointC) > reefer.toleranceC) return;
    trim(state, r.ts, ctx.rules.temperatureAnomaly);
    push(state, r.ts, r.celsius);
    state.setPrevious(r.ts, r.celsius);
  },
  onReading(state, r, ctx) {
    if (r.kind !== 'temperature') return;
    const cfg = ctx.rules.temperatureAnomaly;
    const reefer = reeferBand(ctx, r.setpointC);
    const off = reefer ? Math.abs(r.celsius - reefer.setpointC) : 0;
    if (reefer && off > 2 * reefer.toleranceC) {
      // far out of the band: an excursion, the excursion rule's domain
      state.episode = null;
      state.erratic = null;
      state.recent = null;
      return;
    }
    if (reefer) {
      // a swinging unit crosses the band's edge now and then: those readings belong to the swing
      const w = (state.recent ??= { ts: [], c: [], ids: [] });
      pushRecent(w, r.ts, r.celsius, r.eventId, cfg.erraticReadings);
      const judged = off > reefer.toleranceC && !state.erratic ? NOTHING : judgeErratic(state.erratic, w, state, reefer.setpointC, cfg);
      state.erratic = judged.episode;
      if (judged.raise) raiseErratic(judged.episode!, r.ts, reefer.setpointC, ctx);
      // Just outside the band the level is the excursion rule's to judge; a shift that straddles the
      // edge keeps its episode (the readings inside go on counting), so skip the reading, do not end it.
      if (off > reefer.toleranceC) return;
    }
    trim(state, r.ts, cfg);
    // erratic readings stay out of the baseline, or the swings would soon look normal
    if (state.erratic) return;
    if (!reefer) return judgeDry(state, r, ctx);
    const history = state;
    const size = history.size;
    const span = size ? r.ts - history.oldestTs() : 0;
    if (size < cfg.minBaselineReadings || span < cfg.minBaselineSpanReeferMs) {
      push(state, r.ts, r.celsius);
      return;
    }
    const ep0 = state.episode;
    const least = leastThreshold(cfg);
    if (ep0 === null && calmReefer(history, r.celsius, least)) {
      push(state, r.ts, r.celsius);
      return;
    }
    const base = ep0 ? ep0.baseline : history.median();
    const dev = r.celsius - base;
    if (ep0 === null && Math.abs(dev) < least) {
      // under any threshold the deviation could give: no need of it
      push(state, r.ts, r.celsius);
      return;
    }
    const sigma = ep0 ? ep0.sigma : Math.max(cfg.minSigmaC, 1.4826 * history.medianAbsoluteDeviation(base));
    const threshold = Math.max(cfg.robustZ * sigma, cfg.minDeltaReeferC);
    // Hysteresis: an episode starts at the threshold and lasts while the shift holds above
    // 60 % of it, so sensor noise round the threshold does not restart it.
    const holding = ep0 !== null && Math.sign(dev) === Math.sign(ep0.peakC - ep0.baseline) && Math.abs(dev) >= 0.6 * threshold;
    if (!holding && Math.abs(dev) < threshold) {
      state.episode = null;
      push(state, r.ts, r.celsius);
      return;
    }
    // Anomalous readings stay out of the baseline, so a sustained anomaly cannot become the new normal at once.
    const ep = (state.episode ??= { startTs: r.ts, startEventId: r.eventId, count: 0, peakC: r.celsius, baseline: base, sigma, raised: false, evidence: [] });
    if (!noteShift(ep, r, cfg)) return;
    const fix = ctx.view.fix;
    ctx.raise({
      severity: 'medium',
      incidentKey: ep.startEventId,
      startedAt: ep.startTs,
      detectedAt: r.ts,
      location: fix ? { lat: fix.lat, lon: fix.lon } : null,
      summary: `Temperature ${ep.peakC.toFixed(1)} °C for ${fmtDuration(r.ts - ep.startTs)}, ${Math.abs(ep.peakC - ep.baseline).toFixed(1)} °C ${ep.peakC > ep.baseline ? 'above' : 'below'} this container's recent median of ${ep.baseline.toFixed(1)} °C (${(Math.abs(ep.peakC - ep.baseline) / ep.sigma).toFixed(1)} robust sigmas), still inside the reefer band: unlike its own history`,
      evidence: [...ep.evidence],
      details: { peakC: ep.peakC, baselineC: Math.round(ep.baseline * 10) / 10, sigmaC: Math.round(ep.sigma * 100) / 100, readings: ep.count },
    });
  },
});

/**
 * The smallest threshold a reefer's shift is judged against: sigma is never
 * below minSigmaC, so robustZ x sigma never below robustZ x minSigmaC (as
 * doubles too: a product rounds monotonically), nor the threshold below that
 * or minDeltaReeferC.
 */
function leastThreshold(cfg: RuleContext['rules']['temperatureAnomaly']): number {
  return Math.max(cfg.robustZ * cfg.minSigmaC, cfg.minDeltaReeferC);
}

/**
 * A reading closer than the least threshold to both the smallest and the
 * largest value of the baseline is that close to its median too, which lies
 * between them (median() takes the middle value or a point between the two
 * middle ones; a difference rounds monotonically, so the doubles keep the
 * order): not anomalous, whatever the median and the deviation are, so
 * neither is worked out. A controlled reefer's every reading: its day spans
 * a degree or so.
 */
function calmReefer(history: State, c: number, least: number): boolean {
  return Math.abs(c - history.min()) < least && Math.abs(c - history.max()) < least;
}

function raiseErratic(ep: ErraticEpisode, at: number, setpointC: number, ctx: RuleContext): void {
  const fix = ctx.view.fix;
  ctx.raise({
    severity: 'medium',
    incidentKey: `erratic:${ep.startEventId}`,
    startedAt: ep.startTs,
    detectedAt: at,
    location: fix ? { lat: fix.lat, lon: fix.lon } : null,
    summary: `Reefer temperature erratic for ${fmtDuration(at - ep.startTs)}: swinging between ${ep.lowC.toFixed(1)} and ${ep.highC.toFixed(1)} °C round its ${setpointC.toFixed(1)} °C setpoint, still inside the band; readings up to ${ep.peakSpreadC.toFixed(1)} °C apart from one to the next (median step), against ${ep.baseSpreadC.toFixed(1)} °C in its own history: the unit is failing or being interfered with`,
    evidence: [...ep.evidence],
    details: { medianStepC: Math.round(ep.peakSpreadC * 10) / 10, usualStepC: Math.round(ep.baseSpreadC * 100) / 100, lowC: ep.lowC, highC: ep.highC, setpointC },
  });
}

/**
 * A dry box's air follows the weather and the sun: its normal is the range
 * it went through over the last day, not a median. Anomalous is `minDeltaDryC`
 * beyond that range for `sustainMs`. With less than a day of history (fresh
 * off the yard), the range seen so far does not hold a day's cycle, so only a
 * change faster than any day heats or cools a box (`dryMaxRateCPerHour`)
 * counts: a fire, a heater, a box opened to a hold or a hot space.
 */
function judgeDry(state: State, r: { ts: number; celsius: number; eventId: string }, ctx: RuleContext): void {
  const cfg = ctx.rules.temperatureAnomaly;
  const history = state;
  const prevTs = history.prevTs;
  const prevC = history.prevC;
  history.setPrevious(r.ts, r.celsius);
  const size = history.size;
  const span = size ? r.ts - history.oldestTs() : 0;
  if (size < DRY_MIN_READINGS || span < HOUR_MS) {
    push(state, r.ts, r.celsius);
    return;
  }
  const full = size >= cfg.minBaselineReadings && span >= cfg.minBaselineSpanDryMs;
  const ep0 = state.episode;
  const hi = history.max();
  const lo = history.min();
  const dev = ep0 ? r.celsius - ep0.baseline : r.celsius > hi ? r.celsius - hi : r.celsius < lo ? r.celsius - lo : 0;
  const rate = Number.isFinite(prevTs) && r.ts > prevTs ? Math.abs(r.celsius - prevC) / ((r.ts - prevTs) / HOUR_MS) : 0;
  const holding = ep0 !== null && Math.sign(dev) === Math.sign(ep0.peakC - ep0.baseline) && Math.abs(dev) >= 0.6 * cfg.minDeltaDryC;
  const starting = !ep0 && Math.abs(dev) >= cfg.minDeltaDryC && (full || rate >= cfg.dryMaxRateCPerHour);
  if (!holding && !starting) {
    state.episode = null;
    push(state, r.ts, r.celsius);
    return;
  }
  // Anomalous readings stay out of the baseline, so a sustained anomaly cannot become the new normal at once.
  const ep = (state.episode ??= { startTs: r.ts, startEventId: r.eventId, count: 0, peakC: r.celsius, baseline: dev > 0 ? hi : lo, sigma: full ? 0 : rate, raised: false, evidence: [] });
  if (!noteShift(ep, r, cfg)) return;
  const fix = ctx.view.fix;
  const above = ep.peakC > ep.baseline;
  ctx.raise({
    severity: 'low',
    incidentKey: ep.startEventId,
    startedAt: ep.startTs,
    detectedAt: r.ts,
    location: fix ? { lat: fix.lat, lon: fix.lon } : null,
    summary: `Temperature ${ep.peakC.toFixed(1)} °C for ${fmtDuration(r.ts - ep.startTs)}, ${Math.abs(ep.peakC - ep.baseline).toFixed(1)} °C ${above ? 'above the warmest' : 'below the coldest'} (${ep.baseline.toFixed(1)} °C) of this dry box's last ${fmtDuration(span)}${ep.sigma > 0 ? `, reached at ${Math.round(ep.sigma)} °C/h, faster than the sun or the night changes a box` : ''}: unlike its own history`,
    evidence: [...ep.evidence],
    details: { peakC: ep.peakC, rangeEdgeC: Math.round(ep.baseline * 10) / 10, historyMin: Math.round(span / 60000), readings: ep.count, ratePerHourC: ep.sigma > 0 ? Math.round(ep.sigma) : null },
  });
}

/** Adds a reading to a shift's episode; true when the episode has just held long enough to be raised. */
function noteShift(ep: Episode, r: { ts: number; celsius: number; eventId: string }, cfg: RuleContext['rules']['temperatureAnomaly']): boolean {
  ep.count++;
  if (Math.abs(r.celsius - ep.baseline) > Math.abs(ep.peakC - ep.baseline)) ep.peakC = r.celsius;
  if (ep.evidence.length < 20) ep.evidence.push(r.eventId);
  if (ep.raised || ep.count < cfg.minReadings || r.ts - ep.startTs < cfg.sustainMs) return false;
  ep.raised = true;
  return true;
}

const HOUR_MS = 3_600_000;
/** A dry box is judged once it has an hour and this many readings of its own: less says nothing of its range. */
const DRY_MIN_READINGS = 4;

function trim(state: State, now: number, cfg: RuleContext['rules']['temperatureAnomaly']): void {
  state.trim(now - cfg.baselineMs, cfg.maxBaselineReadings);
}

function push(state: State, ts: number, c: number): void {
  state.push(ts, c);
}
