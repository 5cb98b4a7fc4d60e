import { fmtDuration, fmtKm } from './door-opening.js';
import { kmBetween, knots } from '../geo/distance.js';
import type { CompiledPlan } from '../trips/compile.js';
import { defineRule, DOOR_STATES, type DoorState, type Fix, type RuleContext } from './rule.js';
import { clampU32, pushBoundedCells, sortedCells } from './bounded-list.js';

/**
 * LOCATION_GAP, two shapes:
 *
 * (a) No position for longer than 3 h, than a GNSS dropout (2 h) plus two of
 * the device's usual fix intervals and than 3 of them (moving or standing)
 * while other readings keep coming: the GNSS
 * receiver is jammed, shielded or disconnected. Raised at the reading that
 * passes the limit, or at the fix that ends the gap.
 *
 * (b) Every reading stops. Real devices fall silent all the time: cellular
 * coverage ends a few tens of km offshore, trackers sleep while they stand
 * still, gateways drop out. So a silence is judged by how it ends and by the
 * device's reporting profile (learnt from its own history from the yard days
 * on, or declared in its trip plan's `reporting`):
 * - it ends with the door changed: high;
 * - it ends farther away than the box could have travelled (maxTravelKn, or
 *   1.5x its speed before): medium;
 * - it ends as a coverage hole or a sleeping tracker would (same place, or
 *   where the voyage would have taken it, door as it was): nothing, unless
 *   it is longer than the declared quiet, or the device has reported for
 *   half a day and never went quiet for even a third as long before (a
 *   satellite tracker that always reported): medium;
 * - it has not ended after 12 h under way or 24 h standing still (an
 *   event-time timer, believed once store-and-forward had its allowed
 *   lateness to fill the gap): high at sea, medium standing; near a port
 *   nothing until it speaks again (trackers go quiet in stacks and holds).
 */
interface State {
  lastFix: Fix | null;
  raisedGapOf: string | null;
  lastEventId: string | null;
  raisedSilenceAfter: string | null;
  /** A silence that ended with a reading other than a fix: judged at the next fix, when it shows where the container is. */
  pending: Silence | null;
}

/*
 * The rule's numbers are its cells, not fields of the state, per container:
 * times and the speed at ctx.base in ctx.cells (Rule.cells, float64); counts,
 * flags and durations at ctx.base32 in ctx.cells32 (Rule.cells32: whole
 * milliseconds, a duration over 49.7 days kept as 49.7 days, clampU32; every
 * limit they are judged against is hours or days).
 */
const INTERVALS = 9;
/** Speed at the last fix (reported, else derived from the fix before), knots; HAS_KN (32-bit) 1 when there is one. */
const LAST_KN = 0;
const FIRST_TS = 1;
const LAST_TS = 2;
const WIDTH = LAST_TS + 1;
// the 32-bit cells
const HAS_KN = 0;
const OTHERS_SINCE_FIX = 1;
/** The longest stretch without any reading since the last fix: a position gap needs the rest to have gone on reporting through it. */
const QUIET_SINCE_FIX = 2;
/** The longest silence that ended as a coverage hole or a sleeping tracker would: how quiet this device gets. */
const LONGEST_QUIET = 3;
/** Whether the container stood in a stop at its last fix (1) or not (0), and the door at the last reading (its index in DOOR_STATES). */
const LAST_STOPPED = 4;
const LAST_DOOR = 5;
/** The last intervals between fixes (up to INTERVALS, oldest first), and how many. */
const N_INTERVALS = 6;
const INTERVAL0 = N_INTERVALS + 1;
/** The same of intervals between two fixes of one stop: the device's reporting while it stands still. */
const N_STATIONARY = INTERVAL0 + INTERVALS;
const STATIONARY0 = N_STATIONARY + 1;
const WIDTH32 = STATIONARY0 + INTERVALS;

/** The cells at a new trip. */
const INITIAL_CELLS: readonly number[] = (() => {
  const c = new Array<number>(WIDTH).fill(0);
  c[FIRST_TS] = NaN;
  c[LAST_TS] = -Infinity;
  return c;
})();
const INITIAL_CELLS32: readonly number[] = new Array<number>(WIDTH32).fill(0);

/** The bound container's numbers, read and written in its cells (one cursor, moved to a container by `at`). */
class Numbers {
  private c: Float64Array = new Float64Array(0);
  private b = 0;
  private u: Uint32Array = new Uint32Array(0);
  private ub = 0;
  at(ctx: RuleContext): this {
    this.c = ctx.cells;
    this.b = ctx.base;
    this.u = ctx.cells32;
    this.ub = ctx.base32;
    return this;
  }
  get lastKn(): number | null {
    return this.u[this.ub + HAS_KN] === 1 ? this.c[this.b + LAST_KN]! : null;
  }
  set lastKn(kn: number | null) {
    this.u[this.ub + HAS_KN] = kn === null ? 0 : 1;
    this.c[this.b + LAST_KN] = kn ?? 0;
  }
  get firstTs(): number {
    return this.c[this.b + FIRST_TS]!;
  }
  set firstTs(ts: number) {
    this.c[this.b + FIRST_TS] = ts;
  }
  get lastTs(): number {
    return this.c[this.b + LAST_TS]!;
  }
  set lastTs(ts: number) {
    this.c[this.b + LAST_TS] = ts;
  }
  get othersSinceFix(): number {
    return this.u[this.ub + OTHERS_SINCE_FIX]!;
  }
  set othersSinceFix(n: number) {
    this.u[this.ub + OTHERS_SINCE_FIX] = clampU32(n);
  }
  get quietSinceFix(): number {
    return this.u[this.ub + QUIET_SINCE_FIX]!;
  }
  set quietSinceFix(ms: number) {
    this.u[this.ub + QUIET_SINCE_FIX] = clampU32(ms);
  }
  get longestQuiet(): number {
    return this.u[this.ub + LONGEST_QUIET]!;
  }
  set longestQuiet(ms: number) {
    this.u[this.ub + LONGEST_QUIET] = clampU32(ms);
  }
  get lastStopped(): boolean {
    return this.u[this.ub + LAST_STOPPED] === 1;
  }
  set lastStopped(stopped: boolean) {
    this.u[this.ub + LAST_STOPPED] = stopped ? 1 : 0;
  }
  get lastDoor(): DoorState {
    return DOOR_STATES[this.u[this.ub + LAST_DOOR]!]!;
  }
  set lastDoor(door: DoorState) {
    this.u[this.ub + LAST_DOOR] = DOOR_STATES.indexOf(door);
  }
  /** Appends an interval between fixes, keeping the last INTERVALS (`stationary`: to the stop's). */
  push(stationary: boolean, ms: number): void {
    pushBoundedCells(this.u, this.ub + (stationary ? N_STATIONARY : N_INTERVALS), clampU32(ms), INTERVALS);
  }
  /** The median of the intervals (with fewer than three, the longest: a sparse tracker is not judged on a guess). */
  median(stationary: boolean): number {
    const n = sortedCells(this.u, this.ub + (stationary ? N_STATIONARY : N_INTERVALS), scratch);
    if (n === 0) return 0;
    return n < 3 ? scratch[n - 1]! : scratch[Math.floor(n / 2)]!;
  }
}
const cursor = new Numbers();
const scratch = new Uint32Array(INTERVALS);

/** A silence of every reading, from the last reading before it to the one that ended it (or the timer). */
interface Silence {
  afterEventId: string;
  fromTs: number;
  toTs: number;
  lastFix: Fix | null;
  lastKn: number | null;
  stopped: boolean;
  door: DoorState;
  resumedEventId: string | null;
  /** History observed before the silence, ms. */
  historyMs: number;
  longestQuiet: number;
}

type Cfg = RuleContext['rules']['locationGap'];

export const locationGap = defineRule<State>({
  id: 'LOCATION_GAP',
  // no `kinds`: every reading counts (silences, readings through a position gap)
  initialState: () => ({
    lastFix: null,
    raisedGapOf: null,
    lastEventId: null,
    raisedSilenceAfter: null,
    pending: null,
  }),
  cells: INITIAL_CELLS,
  cells32: INITIAL_CELLS32,
  learn(state, r, ctx) {
    const n = cursor.at(ctx);
    // the yard days before departure are the start of the device's profile
    if (Number.isNaN(n.firstTs)) n.firstTs = r.ts;
    if (Number.isFinite(n.lastTs) && r.ts - n.lastTs > n.longestQuiet) n.longestQuiet = r.ts - n.lastTs;
    n.lastTs = r.ts;
    if (r.kind !== 'location') return;
    const fix = ctx.view.fix!;
    if (state.lastFix && fix.ts > state.lastFix.ts) n.push(false, fix.ts - state.lastFix.ts);
    state.lastFix = fix;
  },
  onReading(state, r, ctx) {
    const cfg = ctx.rules.locationGap;
    const v = ctx.view;
    const n = cursor.at(ctx);
    if (Number.isNaN(n.firstTs)) n.firstTs = r.ts;
    const sincePrevious = r.ts - n.lastTs;
    if (state.lastFix && sincePrevious > n.quietSinceFix) n.quietSinceFix = sincePrevious;
    // (b) a silence of every reading, noticed when readings resume; judged against the longest
    // quiet before it, then part of the device's profile itself
    const quietBefore = n.longestQuiet;
    if (Number.isFinite(sincePrevious) && sincePrevious > n.longestQuiet && (sincePrevious < cfg.maxSilenceMs || state.raisedSilenceAfter === state.lastEventId)) n.longestQuiet = sincePrevious;
    if (state.lastEventId && state.raisedSilenceAfter !== state.lastEventId && sincePrevious >= cfg.maxSilenceMs) {
      state.raisedSilenceAfter = state.lastEventId;
      // the same gap must not come again as "no position while other readings continue"
      if (state.lastFix) state.raisedGapOf = state.lastFix.eventId;
      const silence = silenceOf(state, n, r.ts, r.eventId, quietBefore);
      if (r.kind === 'location' || r.kind === 'door') judgeSilence(n, silence, ctx, r.kind === 'location' ? r : null);
      else state.pending = silence;
    } else if (state.pending && (r.kind === 'location' || (r.kind === 'door' && v.doorChanged))) {
      judgeSilence(n, state.pending, ctx, r.kind === 'location' ? r : null);
      state.pending = null;
    }
    n.lastTs = r.ts;
    state.lastEventId = r.eventId;
    n.lastDoor = v.door;
    if (r.kind === 'location') {
      const fix = v.fix!;
      const last = state.lastFix;
      // (a) a position gap ended by this fix
      if (last && reportedThrough(n, fix.ts - last.ts) && state.raisedGapOf !== last.eventId && pastGapLimit(n, fix.ts - last.ts, cfg, ctx)) raiseGap(state, n, last, r.eventId, fix.ts, ctx);
      if (last) {
        const interval = fix.ts - last.ts;
        n.push(false, interval);
        if (v.inStop && n.lastStopped) n.push(true, interval);
      }
      n.lastKn = fix.speedKn ?? (last && fix.ts > last.ts ? knots(kmBetween(last, fix), fix.ts - last.ts) : null);
      state.lastFix = fix;
      n.lastStopped = v.inStop;
      n.othersSinceFix = 0;
      n.quietSinceFix = 0;
      // (set once, here: its limit depends on whether this fix stands in a stop)
      ctx.setTimer(r.ts + timerLimit(n, cfg, declaredOf(ctx)), 'silence');
      return;
    }
    ctx.setTimer(r.ts + timerLimit(n, cfg, declaredOf(ctx)), 'silence');
    // (a) positions stopped, other readings continue
    const last = state.lastFix;
    if (!last) return;
    n.othersSinceFix++;
    if (!pastGapLimit(n, r.ts - last.ts, cfg, ctx) || state.raisedGapOf === last.eventId || !reportedThrough(n, r.ts - last.ts)) return;
    raiseGap(state, n, last, r.eventId, r.ts, ctx);
  },
  onTimer(state, at, _key, ctx) {
    const n = cursor.at(ctx);
    if (!state.lastEventId || state.raisedSilenceAfter === state.lastEventId || at - n.lastTs < timerLimit(n, ctx.rules.locationGap, declaredOf(ctx))) return;
    // near a port, trackers go quiet in stacks, sheds and holds: judged when it speaks again, not before
    if (state.lastFix && nearPort(state.lastFix, ctx)) return;
    state.raisedSilenceAfter = state.lastEventId;
    state.pending = null;
    if (state.lastFix) state.raisedGapOf = state.lastFix.eventId;
    const s = silenceOf(state, n, at, null);
    raiseSilence(
      s,
      ctx,
      s.stopped ? 'medium' : 'high',
      `Every reading has stopped for ${fmtDuration(at - s.fromTs)} mid-trip${s.stopped ? ' (the container was standing still)' : ''} and none has arrived since: device switched off, shielded or tampered with${s.lastFix ? '; last fix shown' : ''}`,
      null,
      null,
    );
  },
});

/** The device kept reporting through a position gap: several other readings, and no stretch without any reading over half of it (else it was a silence). */
function reportedThrough(n: Numbers, gap: number): boolean {
  return n.othersSinceFix >= 2 && n.quietSinceFix <= gap / 2;
}

/**
 * Whether `gap` without a fix, other readings going on, is a position gap for
 * this device now. The limit is never below maxPositionGapMs, so a shorter
 * gap (nearly every reading) is answered without working out the medians or
 * reading the plan's declared profile.
 */
function pastGapLimit(n: Numbers, gap: number, cfg: Cfg, ctx: RuleContext): boolean {
  return gap >= cfg.maxPositionGapMs && gap >= positionGapLimit(n, cfg, declaredOf(ctx));
}

/** How long without a fix, other readings going on, is a gap for this device now. */
function positionGapLimit(n: Numbers, cfg: Cfg, declared: Declared): number {
  let usual = Math.max(n.median(false), (declared?.fixIntervalMinutes ?? 0) * MINUTE_MS);
  if (n.lastStopped) usual = Math.max(usual, n.median(true), (declared?.stationaryFixIntervalMinutes ?? 0) * MINUTE_MS);
  // a dropout hides the fixes inside it, and the gap between fixes around it is the dropout plus up to two intervals
  return Math.max(cfg.maxPositionGapMs, cfg.gnssDropoutMs + 2 * usual, cfg.intervalFactor * usual);
}

/** How long without any reading before the timer speaks, for this device now. */
function timerLimit(n: Numbers, cfg: Cfg, declared: Declared): number {
  const quiet = Math.max(n.longestQuiet, (declared?.maxQuietHours ?? 0) * HOUR_MS);
  return Math.max(n.lastStopped ? cfg.maxStationarySilenceMs : cfg.maxUnresumedSilenceMs, cfg.intervalFactor * quiet);
}

/** The device's reporting profile as its trip plan declares it, if it does (trip plans: `reporting`). */
type Declared = NonNullable<CompiledPlan['plan']['reporting']> | null;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

function declaredOf(ctx: RuleContext): Declared {
  return ctx.view.plan?.plan.reporting ?? null;
}

function nearPort(fix: Fix, ctx: RuleContext): { name: string; km: number } | null {
  const n = ctx.ports.nearest(fix.lat, fix.lon);
  return n && n.distanceKm <= ctx.rules.locationGap.nearPortKm ? { name: `${n.port.name} (${n.port.locode})`, km: n.distanceKm } : null;
}

function raiseGap(state: State, n: Numbers, last: Fix, eventId: string, at: number, ctx: RuleContext): void {
  state.raisedGapOf = last.eventId;
  const gap = at - last.ts;
  const near = nearPort(last, ctx);
  ctx.raise({
    severity: near ? 'low' : 'medium',
    incidentKey: `pos:${last.eventId}`,
    startedAt: last.ts,
    detectedAt: at,
    location: { lat: last.lat, lon: last.lon },
    summary: `No position for ${fmtDuration(gap)} while the device kept reporting (${n.othersSinceFix} other readings): possible GNSS jamming or shielding; last fix shown${near ? `, ${fmtKm(near.km)} from ${near.name}` : ''}`,
    evidence: [last.eventId, eventId],
    details: { gapMin: Math.round(gap / 60000), otherReadings: n.othersSinceFix, nearPort: near?.name ?? null, stationary: n.lastStopped },
  });
}

function silenceOf(state: State, n: Numbers, toTs: number, resumedEventId: string | null, quietBefore = n.longestQuiet): Silence {
  return {
    afterEventId: state.lastEventId!,
    fromTs: n.lastTs,
    toTs,
    lastFix: state.lastFix,
    lastKn: n.lastKn,
    stopped: n.lastStopped,
    door: n.lastDoor,
    resumedEventId,
    historyMs: n.lastTs - n.firstTs,
    longestQuiet: quietBefore,
  };
}

/** Judges a silence that has ended, by how it ended (see the rule's comment); a benign one teaches the device's profile. */
function judgeSilence(n: Numbers, s: Silence, ctx: RuleContext, resumedAt: { lat: number; lon: number; eventId: string; ts: number } | null): void {
  const cfg = ctx.rules.locationGap;
  const gap = s.toTs - s.fromTs;
  const last = s.lastFix;
  const door = ctx.view.door;
  const moved = last && resumedAt ? kmBetween(last, resumedAt) : null;
  if (s.door !== 'unknown' && door !== 'unknown' && door !== s.door) {
    raiseSilence(
      s,
      ctx,
      'high',
      `Every reading stopped for ${fmtDuration(gap)} mid-trip and resumed with the door ${door} (it was ${s.door})${moved !== null ? `, ${fmtKm(moved)} from the last fix` : ''}: device switched off or shielded while the box was opened or closed`,
      resumedAt,
      null,
    );
    return;
  }
  // a ship that sailed from its anchorage while the tracker was out of coverage has simply sailed
  const couldSail = Math.max(cfg.maxTravelKn, 1.5 * (s.stopped ? 0 : (s.lastKn ?? 0)));
  if (moved !== null && knots(moved, gap) > couldSail) {
    raiseSilence(
      s,
      ctx,
      'medium',
      `Every reading stopped for ${fmtDuration(gap)} mid-trip and resumed ${fmtKm(moved)} from the last fix, farther than it could have sailed (${Math.round(knots(moved, gap))} kn): device switched off, shielded or tampered with`,
      resumedAt,
      null,
    );
    return;
  }
  // A silence is part of this device's normal from now on, whatever is decided about this one.
  if (gap > n.longestQuiet) n.longestQuiet = gap;
  // It woke where it fell asleep, nothing changed: a tracker that sleeps while it stands still.
  const samePlace = moved !== null && moved <= ctx.rules.stationary.radiusKm;
  const declaredQuiet = (declaredOf(ctx)?.maxQuietHours ?? 0) * HOUR_MS;
  if (!samePlace && declaredQuiet > 0) {
    // the device's own vendor says how quiet it may be: no history needed
    if (gap > declaredQuiet)
      raiseSilence(
        s,
        ctx,
        'medium',
        `Every reading stopped for ${fmtDuration(gap)} mid-trip, then resumed${moved !== null ? ` ${fmtKm(moved)} from the last fix` : ''}: longer than the ${fmtDuration(declaredQuiet)} this device may be quiet (its plan's reporting profile): switched off, shielded or tampered with`,
        resumedAt,
        null,
      );
    return;
  }
  if (!samePlace && s.historyMs >= cfg.profileMinHistoryMs && gap > cfg.intervalFactor * s.longestQuiet) {
    raiseSilence(
      s,
      ctx,
      'medium',
      `Every reading stopped for ${fmtDuration(gap)} mid-trip, then resumed${moved !== null ? ` ${fmtKm(moved)} from the last fix` : ''}: this device had not been quiet for more than ${fmtDuration(s.longestQuiet)} in ${Math.round(s.historyMs / 3_600_000)} h of reporting: switched off, shielded or tampered with`,
      resumedAt,
      null,
    );
  }
}

function raiseSilence(s: Silence, ctx: RuleContext, severity: 'low' | 'medium' | 'high', summary: string, resumedAt: { lat: number; lon: number; eventId: string; ts: number } | null, near: { name: string } | null): void {
  const last = s.lastFix;
  const moved = last && resumedAt ? kmBetween(last, resumedAt) : null;
  const evidence = [s.afterEventId, ...(s.resumedEventId ? [s.resumedEventId] : []), ...(resumedAt && resumedAt.eventId !== s.resumedEventId ? [resumedAt.eventId] : [])];
  ctx.raise({
    severity,
    incidentKey: `all:${s.afterEventId}`,
    startedAt: s.fromTs,
    detectedAt: resumedAt ? Math.max(s.toTs, resumedAt.ts) : s.toTs,
    location: last ? { lat: last.lat, lon: last.lon } : null,
    summary,
    evidence,
    details: {
      gapMin: Math.round((s.toTs - s.fromTs) / 60000),
      movedKm: moved === null ? null : Math.round(moved),
      resumed: s.resumedEventId !== null,
      stationary: s.stopped,
      longestQuietMin: Math.round(s.longestQuiet / 60000),
      nearPort: near?.name ?? null,
    },
  });
}
