import { fmtDuration, fmtKm } from './door-opening.js';
import { kmBetween } from '../geo/distance.js';
import { defineRule, type Fix, type RuleContext } from './rule.js';

/**
 * LOCATION_GAP: (a) no position for longer than 2 h (and than 4x the
 * device's own usual fix interval) while other readings keep coming: the GNSS
 * receiver is jammed, shielded or disconnected; (b) every reading stops for
 * 4 h mid-trip: an event-time timer, believed once store-and-forward had its
 * allowed lateness to fill the gap; when readings resume first, the gap is
 * raised then, with its length and the distance covered in it. Low severity
 * when the last fix was near a port, medium at sea, high for a silence at sea.
 */
interface State {
  lastFix: Fix | null;
  intervals: number[];
  /** The median of `intervals`, NaN until computed for the current intervals. */
  medianInterval: number;
  othersSinceFix: number;
  raisedGapOf: string | null;
  lastTs: number;
  lastEventId: string | null;
  raisedSilenceAfter: string | null;
}

const INTERVALS = 9;

export const locationGap = defineRule<State>({
  id: 'LOCATION_GAP',
  initialState: () => ({ lastFix: null, intervals: [], medianInterval: NaN, othersSinceFix: 0, raisedGapOf: null, lastTs: -Infinity, lastEventId: null, raisedSilenceAfter: null }),
  onReading(state, r, ctx) {
    const cfg = ctx.rules.locationGap;
    // (b) a silence of every reading, noticed when readings resume
    if (state.lastEventId && r.ts - state.lastTs >= cfg.maxSilenceMs && state.raisedSilenceAfter !== state.lastEventId) {
      state.raisedSilenceAfter = state.lastEventId;
      // the same gap must not come again as "no position while other readings continue"
      if (state.lastFix) state.raisedGapOf = state.lastFix.eventId;
      raiseSilence(state, ctx, r.ts, r.kind === 'location' ? { lat: r.lat, lon: r.lon, eventId: r.eventId } : null, r.eventId);
    }
    state.lastTs = r.ts;
    state.lastEventId = r.eventId;
    ctx.setTimer(r.ts + cfg.maxSilenceMs, 'silence');
    if (r.kind === 'location') {
      const fix = ctx.view.fix!;
      if (state.lastFix) {
        state.intervals.push(fix.ts - state.lastFix.ts);
        if (state.intervals.length > INTERVALS) state.intervals.shift();
        state.medianInterval = NaN;
      }
      state.lastFix = fix;
      state.othersSinceFix = 0;
      return;
    }
    // (a) positions stopped, other readings continue
    const last = state.lastFix;
    if (!last) return;
    state.othersSinceFix++;
    const gap = r.ts - last.ts;
    if (gap < threshold(state, cfg.maxPositionGapMs, cfg.intervalFactor) || state.raisedGapOf === last.eventId || state.othersSinceFix < 2) return;
    state.raisedGapOf = last.eventId;
    const near = nearPort(last, ctx);
    ctx.raise({
      severity: near ? 'low' : 'medium',
      incidentKey: `pos:${last.eventId}`,
      startedAt: last.ts,
      detectedAt: r.ts,
      location: { lat: last.lat, lon: last.lon },
      summary: `No position for ${fmtDuration(gap)} while the device kept reporting (${state.othersSinceFix} other readings): possible GNSS jamming or shielding; last fix shown${near ? `, ${fmtKm(near.km)} from ${near.name}` : ''}`,
      evidence: [last.eventId, r.eventId],
      details: { gapMin: Math.round(gap / 60000), otherReadings: state.othersSinceFix, nearPort: near?.name ?? null },
    });
  },
  onTimer(state, at, _key, ctx) {
    if (!state.lastEventId || state.raisedSilenceAfter === state.lastEventId || at - state.lastTs < ctx.rules.locationGap.maxSilenceMs) return;
    state.raisedSilenceAfter = state.lastEventId;
    if (state.lastFix) state.raisedGapOf = state.lastFix.eventId;
    raiseSilence(state, ctx, at, null, null);
  },
});

const scratch = new Float64Array(INTERVALS);

function threshold(state: State, min: number, factor: number): number {
  const n = state.intervals.length;
  if (n < 3) return min;
  if (Number.isNaN(state.medianInterval)) {
    // sorted once per new fix, not on every reading in between; in a reused buffer, not a copy
    for (let i = 0; i < n; i++) scratch[i] = state.intervals[i]!;
    const sorted = scratch.subarray(0, n).sort();
    state.medianInterval = sorted[Math.floor(n / 2)]!;
  }
  return Math.max(min, factor * state.medianInterval);
}

function nearPort(fix: Fix, ctx: RuleContext): { name: string; km: number } | null {
  const n = ctx.ports.nearest(fix.lat, fix.lon);
  return n && n.distanceKm <= ctx.rules.locationGap.nearPortKm ? { name: `${n.port.name} (${n.port.locode})`, km: n.distanceKm } : null;
}

function raiseSilence(state: State, ctx: RuleContext, at: number, resumedAt: { lat: number; lon: number; eventId: string } | null, resumedEventId: string | null): void {
  const last = state.lastFix;
  const gap = at - state.lastTs;
  const near = last ? nearPort(last, ctx) : null;
  const moved = last && resumedAt ? kmBetween(last, resumedAt) : null;
  const resumed = resumedEventId !== null;
  ctx.raise({
    severity: near ? 'low' : resumed ? 'medium' : 'high',
    incidentKey: `all:${state.lastEventId}`,
    startedAt: state.lastTs,
    detectedAt: at,
    location: last ? { lat: last.lat, lon: last.lon } : null,
    summary: resumed
      ? `Every reading stopped for ${fmtDuration(gap)} mid-trip, then resumed${moved !== null ? ` ${fmtKm(moved)} from the last fix before the gap` : ''}: device switched off, shielded or tampered with`
      : `Every reading has stopped for ${fmtDuration(gap)} mid-trip and none has arrived since: device switched off, shielded or tampered with${last ? '; last fix shown' : ''}${near ? `, ${fmtKm(near.km)} from ${near.name}` : ''}`,
    evidence: [state.lastEventId!, ...(resumedEventId ? [resumedEventId] : [])],
    details: { gapMin: Math.round(gap / 60000), movedKm: moved === null ? null : Math.round(moved), resumed, nearPort: near?.name ?? null },
  });
}
