import { fmtDuration, fmtKm } from './door-opening.js';
import { kmBetween } from './motion.js';
import { defineRule, type Fix, type RuleContext } from './rule.js';

/**
 * LOCATION_GAP: (a) no position for longer than 3 h (and than 3x the
 * device's own usual fix interval) while other readings keep coming: the GNSS
 * receiver is jammed, shielded or disconnected; (b) every reading stops for
 * 4 h mid-trip: an event-time timer, believed once store-and-forward had its
 * allowed lateness to fill the gap; when readings resume first, the gap is
 * raised then, with its length and the distance covered in it.
 *
 * Devices report less while they stand still (motion-triggered reporting
 * saves battery; GNSS is duty-cycled): the device's own reporting while
 * stationary is learnt from its history, and while the container stands in a
 * stop a gap or silence is judged against that (a silence at least against
 * `maxStationarySilenceMs`). A silence that ends where it began, with the door
 * as it was, is a sleeping tracker, not tampering: nothing is raised; one that
 * ends elsewhere or with the door changed is.
 *
 * Severity: low when the last fix was near a port, medium at sea, high for a
 * silence at sea that has not ended or that ended with the door changed.
 */
interface State {
  lastFix: Fix | null;
  intervals: number[];
  /** The median of `intervals`, NaN until computed for the current intervals. */
  medianInterval: number;
  /** The longest interval between two fixes of one stop seen on this trip: the device's stationary reporting. */
  stationaryInterval: number;
  othersSinceFix: number;
  raisedGapOf: string | null;
  lastTs: number;
  lastEventId: string | null;
  /** Whether the container stood in a stop at its last reading, and the door then. */
  lastStopped: boolean;
  lastDoor: 'open' | 'closed' | 'unknown';
  raisedSilenceAfter: string | null;
  /** A silence of a stationary container that ended with a reading other than a fix: judged at the next fix, when it shows whether the container moved. */
  pending: Silence | null;
}

/** A silence of every reading, from the last reading before it to the one that ended it (or the timer). */
interface Silence {
  afterEventId: string;
  fromTs: number;
  toTs: number;
  lastFix: Fix | null;
  stopped: boolean;
  stationaryInterval: number;
  door: 'open' | 'closed' | 'unknown';
  resumedEventId: string | null;
}

const INTERVALS = 9;

type Cfg = RuleContext['rules']['locationGap'];

export const locationGap = defineRule<State>({
  id: 'LOCATION_GAP',
  initialState: () => ({ lastFix: null, intervals: [], medianInterval: NaN, stationaryInterval: 0, othersSinceFix: 0, raisedGapOf: null, lastTs: -Infinity, lastEventId: null, lastStopped: false, lastDoor: 'unknown', raisedSilenceAfter: null, pending: null }),
  onReading(state, r, ctx) {
    const cfg = ctx.rules.locationGap;
    const v = ctx.view;
    // (b) a silence of every reading, noticed when readings resume
    if (state.lastEventId && state.raisedSilenceAfter !== state.lastEventId && r.ts - state.lastTs >= cfg.maxSilenceMs) {
      state.raisedSilenceAfter = state.lastEventId;
      // the same gap must not come again as "no position while other readings continue"
      if (state.lastFix) state.raisedGapOf = state.lastFix.eventId;
      const silence = silenceOf(state, r.ts, r.eventId);
      if (silence.stopped && r.kind !== 'location') state.pending = silence;
      else raiseSilence(silence, ctx, r.kind === 'location' ? r : null);
    } else if (state.pending && r.kind === 'location') {
      raiseSilence(state.pending, ctx, r);
      state.pending = null;
    }
    state.lastTs = r.ts;
    state.lastEventId = r.eventId;
    state.lastDoor = v.door;
    if (r.kind === 'location') {
      const fix = v.fix!;
      const last = state.lastFix;
      if (last) {
        const interval = fix.ts - last.ts;
        state.intervals.push(interval);
        if (state.intervals.length > INTERVALS) state.intervals.shift();
        state.medianInterval = NaN;
        if (v.inStop && state.lastStopped && interval > state.stationaryInterval) state.stationaryInterval = interval;
      }
      state.lastFix = fix;
      state.lastStopped = v.inStop;
      state.othersSinceFix = 0;
      ctx.setTimer(r.ts + silenceLimit(state, cfg), 'silence');
      return;
    }
    ctx.setTimer(r.ts + silenceLimit(state, cfg), 'silence');
    // (a) positions stopped, other readings continue
    const last = state.lastFix;
    if (!last) return;
    state.othersSinceFix++;
    const gap = r.ts - last.ts;
    if (gap < positionGapLimit(state, cfg) || state.raisedGapOf === last.eventId || state.othersSinceFix < 2) return;
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
      details: { gapMin: Math.round(gap / 60000), otherReadings: state.othersSinceFix, nearPort: near?.name ?? null, stationary: state.lastStopped },
    });
  },
  onTimer(state, at, _key, ctx) {
    if (!state.lastEventId || state.raisedSilenceAfter === state.lastEventId || at - state.lastTs < silenceLimit(state, ctx.rules.locationGap)) return;
    state.raisedSilenceAfter = state.lastEventId;
    if (state.lastFix) state.raisedGapOf = state.lastFix.eventId;
    raiseSilence(silenceOf(state, at, null), ctx, null);
  },
});

const scratch = new Float64Array(INTERVALS);

function medianInterval(state: State): number {
  const n = state.intervals.length;
  if (n < 3) return 0;
  if (Number.isNaN(state.medianInterval)) {
    // sorted once per new fix, not on every reading in between; in a reused buffer, not a copy
    for (let i = 0; i < n; i++) scratch[i] = state.intervals[i]!;
    const sorted = scratch.subarray(0, n).sort();
    state.medianInterval = sorted[Math.floor(n / 2)]!;
  }
  return state.medianInterval;
}

/** How long without a fix, other readings going on, is a gap for this device now. */
function positionGapLimit(state: State, cfg: Cfg): number {
  const usual = state.lastStopped ? Math.max(medianInterval(state), state.stationaryInterval) : medianInterval(state);
  return Math.max(cfg.maxPositionGapMs, cfg.intervalFactor * usual);
}

/** How long without any reading is a silence for this device now (the timer's deadline). */
function silenceLimit(state: State, cfg: Cfg): number {
  return state.lastStopped ? stationarySilenceLimit(state.stationaryInterval, cfg) : cfg.maxSilenceMs;
}

function stationarySilenceLimit(stationaryInterval: number, cfg: Cfg): number {
  return Math.max(cfg.maxStationarySilenceMs, cfg.intervalFactor * stationaryInterval);
}

function nearPort(fix: Fix, ctx: RuleContext): { name: string; km: number } | null {
  const n = ctx.ports.nearest(fix.lat, fix.lon);
  return n && n.distanceKm <= ctx.rules.locationGap.nearPortKm ? { name: `${n.port.name} (${n.port.locode})`, km: n.distanceKm } : null;
}

function silenceOf(state: State, toTs: number, resumedEventId: string | null): Silence {
  return { afterEventId: state.lastEventId!, fromTs: state.lastTs, toTs, lastFix: state.lastFix, stopped: state.lastStopped, stationaryInterval: state.stationaryInterval, door: state.lastDoor, resumedEventId };
}

/** Raises a silence, unless it was a tracker asleep in a stop: it woke where it fell asleep, the door as it was. */
function raiseSilence(s: Silence, ctx: RuleContext, resumedAt: { lat: number; lon: number; eventId: string; ts: number } | null): void {
  const last = s.lastFix;
  const gap = s.toTs - s.fromTs;
  const near = last ? nearPort(last, ctx) : null;
  const moved = last && resumedAt ? kmBetween(last, resumedAt) : null;
  const resumed = s.resumedEventId !== null;
  const doorChanged = resumed && s.door !== 'unknown' && ctx.view.door !== s.door;
  if (resumed && s.stopped && !doorChanged && (moved === null || moved <= ctx.rules.stationary.radiusKm) && gap < stationarySilenceLimit(s.stationaryInterval, ctx.rules.locationGap)) return;
  const evidence = [s.afterEventId, ...(s.resumedEventId ? [s.resumedEventId] : []), ...(resumedAt && resumedAt.eventId !== s.resumedEventId ? [resumedAt.eventId] : [])];
  ctx.raise({
    severity: doorChanged ? 'high' : near ? 'low' : resumed || s.stopped ? 'medium' : 'high',
    incidentKey: `all:${s.afterEventId}`,
    startedAt: s.fromTs,
    detectedAt: resumedAt ? Math.max(s.toTs, resumedAt.ts) : s.toTs,
    location: last ? { lat: last.lat, lon: last.lon } : null,
    summary: resumed
      ? `Every reading stopped for ${fmtDuration(gap)} mid-trip, then resumed${moved !== null ? ` ${fmtKm(moved)} from the last fix before the gap` : ''}${doorChanged ? `, the door ${ctx.view.door} (it was ${s.door})` : ''}: device switched off, shielded or tampered with`
      : `Every reading has stopped for ${fmtDuration(gap)} mid-trip${s.stopped ? ' (the container was standing still)' : ''} and none has arrived since: device switched off, shielded or tampered with${last ? '; last fix shown' : ''}${near ? `, ${fmtKm(near.km)} from ${near.name}` : ''}`,
    evidence,
    details: { gapMin: Math.round(gap / 60000), movedKm: moved === null ? null : Math.round(moved), resumed, doorChanged, stationary: s.stopped, nearPort: near?.name ?? null },
  });
}
