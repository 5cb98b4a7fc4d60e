import { fmtDuration, fmtKm } from './door-opening.js';
import { defineRule, type RuleContext } from './rule.js';
import { clampU32, pushBoundedCells, sortedCells } from './bounded-list.js';

/**
 * LIGHT_WITH_DOOR_CLOSED: light inside a container whose door is closed, the
 * sign of a cut wall or roof. A closed steel box reads ~0 lux; seal and vent
 * leakage in daylight stays in single digits, so the threshold (20 lux) sits
 * above leakage and below a torch or daylight through a hole. One glitch is
 * not an incident: it takes two readings over the threshold in a row, or one
 * very bright (200 lux), or, from a device that reports light when it
 * changes (its light readings come hours apart), one lit reading that stayed
 * unchanged for `confirmWithinMs` until the dark reading that ended it. The
 * door must have been closed for a grace period first.
 */
interface Episode {
  startTs: number;
  startEventId: string;
  count: number;
  maxLux: number;
  evidence: string[];
  raised: boolean;
}
interface State {
  episode: Episode | null;
}

/*
 * The rule's cells: the latest light reading's time (Rule.cells), and the
 * recent intervals between light readings (a device reporting on change has
 * long ones) in its 32-bit cells (Rule.cells32, whole milliseconds, one over
 * 49.7 days kept as 49.7 days): how many, then up to INTERVALS of them,
 * oldest first.
 */
const INTERVALS = 7;
const LAST_LIGHT_TS = 0;
const N_INTERVALS = 0;
const CELLS: readonly number[] = [NaN];
const CELLS32: readonly number[] = new Array<number>(1 + INTERVALS).fill(0);
const scratch = new Uint32Array(INTERVALS);

export const lightWithDoorClosed = defineRule<State>({
  id: 'LIGHT_WITH_DOOR_CLOSED',
  kinds: ['door', 'light'],
  initialState: () => ({ episode: null }),
  idle: (s) => s.episode === null,
  // idle (no lit episode), a door reading only ends an episode there is not
  wakes: ['light'],
  cells: CELLS,
  cells32: CELLS32,
  learn(_state, r, ctx) {
    if (r.kind === 'light') noteInterval(ctx, r.ts);
  },
  onReading(state, r, ctx) {
    const cfg = ctx.rules.lightWithDoorClosed;
    const v = ctx.view;
    if (r.kind === 'door') {
      if (r.open) state.episode = null;
      return;
    }
    if (r.kind !== 'light') return;
    const sinceLast = r.ts - ctx.cells[ctx.base + LAST_LIGHT_TS]!;
    noteInterval(ctx, r.ts);
    const ep0 = state.episode;
    if (v.door !== 'closed' || r.ts - v.doorSince < cfg.doorClosedGraceMs || r.lux < cfg.luxThreshold) {
      // dark again: from a device that reports on change, a lit reading that held this long is an incident
      if (ep0 && !ep0.raised && v.door === 'closed' && ep0.count === 1 && r.lux < cfg.luxThreshold && reportsOnChange(ctx.cells32, ctx.base32, sinceLast) && r.ts - ep0.startTs >= cfg.confirmWithinMs) {
        ep0.evidence.push(r.eventId);
        raise(ep0, r.ts, ctx, `lit for ${fmtDuration(r.ts - ep0.startTs)} until this dark reading`);
      }
      state.episode = null;
      return;
    }
    const ep = (state.episode ??= { startTs: r.ts, startEventId: r.eventId, count: 0, maxLux: 0, evidence: [], raised: false });
    ep.count++;
    ep.maxLux = Math.max(ep.maxLux, r.lux);
    if (ep.evidence.length < 20) ep.evidence.push(r.eventId);
    if (ep.raised || (ep.count < 2 && r.lux < cfg.strongLuxThreshold)) return;
    raise(ep, r.ts, ctx, `${ep.count} reading${ep.count > 1 ? 's' : ''} over ${cfg.luxThreshold} lux`);
  },
});

function noteInterval(ctx: RuleContext, ts: number): void {
  const last = ctx.cells[ctx.base + LAST_LIGHT_TS]!;
  if (Number.isFinite(last) && ts > last) pushBoundedCells(ctx.cells32, ctx.base32 + N_INTERVALS, clampU32(ts - last), INTERVALS);
  ctx.cells[ctx.base + LAST_LIGHT_TS] = ts;
}

/**
 * The dark reading came sooner than the device's usual light readings by far
 * (a quarter of their median): it reported because the light changed, so the
 * light held until then. A device sampling on a timer reports dark at its
 * next tick, which says nothing of how long the light lasted.
 */
function reportsOnChange(c: Uint32Array, b: number, sinceLast: number): boolean {
  const n = c[b + N_INTERVALS]!;
  if (n < 3) return false;
  sortedCells(c, b + N_INTERVALS, scratch);
  return sinceLast * 4 <= scratch[n >> 1]!;
}

function raise(ep: Episode, at: number, ctx: RuleContext, how: string): void {
  const cfg = ctx.rules.lightWithDoorClosed;
  const v = ctx.view;
  ep.raised = true;
  const fix = v.fix;
  const zones = fix ? ctx.zones(fix) : null;
  const where = zones?.nearest ? (zones.inside ? `inside ${zones.inside.name}` : `${fmtKm(zones.nearestKm)} from the nearest authorised zone (${zones.nearest.name})`) : 'position unknown';
  ctx.raise({
    severity: 'high',
    incidentKey: ep.startEventId,
    startedAt: ep.startTs,
    detectedAt: at,
    location: fix ? { lat: fix.lat, lon: fix.lon } : null,
    summary: `Light of ${Math.round(ep.maxLux)} lux inside the container while its door has been closed for ${fmtDuration(ep.startTs - v.doorSince)} (${how}), ${where}: possible cut wall or roof`,
    evidence: [...ep.evidence, ...(v.doorEventId ? [v.doorEventId] : [])],
    details: { maxLux: Math.round(ep.maxLux), readings: ep.count, doorClosedMin: Math.round((ep.startTs - v.doorSince) / 60000), luxThreshold: cfg.luxThreshold },
  });
}
